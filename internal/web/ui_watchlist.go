package web

// uiWatchlistRoutes registers the clean-up queue's pages.
func (s *Server) uiWatchlistRoutes() {}
