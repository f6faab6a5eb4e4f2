package web

// routesIntel lists the API routes and pages of indicators, warning lists, import and export (internal/intel).
func (s *Server) routesIntel() {
}
