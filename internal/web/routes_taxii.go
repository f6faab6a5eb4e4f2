package web

import (
	"vigil/internal/taxii"
)

// routesTAXII lists the API routes and pages of the TAXII 2.1 server under /taxii2/ and the feeds it polls (internal/taxii).
func (s *Server) routesTAXII() {
	// The TAXII 2.1 server: outside /api/v1, its own authentication
	// (middleware.go lets /taxii2/ through), media type and errors.
	s.mux.Handle(taxii.Root, s.TAXII.Handler(s.Auth))
}
