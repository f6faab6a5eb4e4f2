package web

// routesTAXII lists the API routes and pages of the TAXII 2.1 server under /taxii2/ and the feeds it polls (internal/taxii).
func (s *Server) routesTAXII() {
}
