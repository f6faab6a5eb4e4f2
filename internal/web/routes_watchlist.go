package web

// routesWatchlist lists the API routes and pages of matches of published lists and the clean-up queue (internal/watchlist).
func (s *Server) routesWatchlist() {
}
