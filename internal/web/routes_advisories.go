package web

// routesAdvisories lists the API routes and pages of advisories, their acknowledgement and completion (internal/advisory).
func (s *Server) routesAdvisories() {
}
