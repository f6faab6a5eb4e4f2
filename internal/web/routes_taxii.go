package web

import (
	"vigil/internal/taxii"
)

// routesTAXII lists the API routes and pages of the TAXII 2.1 server under /taxii2/ and the feeds it polls (internal/taxii).
func (s *Server) routesTAXII() {
	// The TAXII 2.1 server: outside /api/v1, its own authentication
	// (middleware.go lets /taxii2/ through), media type and errors.
	s.mux.Handle(taxii.Root, s.TAXII.Handler(s.Auth))

	// API: what the hub shares over TAXII, and with whom (administrators
	// manage; the SOC and grantees read).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/taxii/collections", Tag: "taxii", Summary: "TAXII collections: what each shares, who may read or write it, its address (administrators and the SOC: all; others: those granted to them)",
		Result: taxii.Collection{}, Paged: true, Sorts: taxii.CollectionSortKeys, Query: []string{"q"}, Handler: s.apiListTAXIICollections})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/taxii/collections", Tag: "taxii", Summary: "Add a TAXII collection sharing a warning list, the current published lists or every indicator (administrators)",
		Body: taxii.CollectionInput{}, Result: taxii.Collection{}, Handler: s.apiCreateTAXIICollection})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/taxii/collections/{id}", Tag: "taxii", Summary: "A TAXII collection with its grants", Result: taxii.Collection{}, Handler: s.apiGetTAXIICollection})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/taxii/collections/{id}", Tag: "taxii", Summary: "Change a TAXII collection (administrators)",
		Body: taxii.CollectionInput{}, Result: taxii.Collection{}, Handler: s.apiUpdateTAXIICollection})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/taxii/collections/{id}", Tag: "taxii", Summary: "Remove a TAXII collection and its grants (administrators)", Handler: s.apiDeleteTAXIICollection})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/taxii/collections/{id}/grants", Tag: "taxii", Summary: "Let a user (e-mail) or a unit's subtree (code) read and/or write a collection; replaces their earlier grant (administrators)",
		Body: taxii.GrantInput{}, Result: taxii.Collection{}, Status: 200, Handler: s.apiGrantTAXII})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/taxii/collections/{id}/grants/{kind}/{grantee}", Tag: "taxii", Summary: "Take a grant away (kind user or unit, grantee its id; administrators)", Handler: s.apiRevokeTAXII})

	// API: the intel feeds the hub polls (administrators manage and run;
	// the SOC reads).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/intel/feeds", Tag: "taxii", Summary: "Intel feeds (TAXII, MISP, STIX, CSV, RSS) with their last run, status since, count and error; secrets show as \"set\"",
		Result: taxii.Feed{}, Paged: true, Sorts: taxii.FeedSortKeys, Query: []string{"kind", "status", "q"}, Handler: s.apiListFeeds})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/intel/feeds", Tag: "taxii", Summary: "Add an intel feed (administrators)", Body: taxii.FeedInput{}, Result: taxii.Feed{}, Handler: s.apiCreateFeed})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/intel/feeds/{id}", Tag: "taxii", Summary: "An intel feed", Result: taxii.Feed{}, Handler: s.apiGetFeed})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/intel/feeds/{id}", Tag: "taxii", Summary: "Change an intel feed (an empty secret keeps the one set; administrators)",
		Body: taxii.FeedInput{}, Result: taxii.Feed{}, Handler: s.apiUpdateFeed})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/intel/feeds/{id}", Tag: "taxii", Summary: "Remove an intel feed; what it brought in stays (administrators)", Handler: s.apiDeleteFeed})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/intel/feeds/{id}/run", Tag: "taxii", Summary: "Run a feed now and answer it with the run's outcome (administrators)",
		Result: taxii.Feed{}, Status: 200, Handler: s.apiRunFeed})

	// Pages: the collections and the feeds.
	s.mux.HandleFunc("GET /taxii", s.uiAuth(s.uiTAXII))
	s.mux.HandleFunc("POST /taxii/collections", s.uiAuth(s.uiCreateTAXII))
	s.mux.HandleFunc("POST /taxii/collections/{id}/grants", s.uiAuth(s.uiGrantTAXII))
	s.mux.HandleFunc("POST /taxii/collections/{id}/grants/{kind}/{grantee}/delete", s.uiAuth(s.uiRevokeTAXII))
	s.mux.HandleFunc("POST /taxii/collections/{id}/delete", s.uiAuth(s.uiDeleteTAXII))
	s.mux.HandleFunc("GET /intel/feeds", s.uiAuth(s.uiFeedsIntel))
	s.mux.HandleFunc("POST /intel/feeds", s.uiAuth(s.uiSaveFeed))
	s.mux.HandleFunc("POST /intel/feeds/{id}", s.uiAuth(s.uiSaveFeed))
	s.mux.HandleFunc("POST /intel/feeds/{id}/run", s.uiAuth(s.uiRunFeed))
	s.mux.HandleFunc("POST /intel/feeds/{id}/delete", s.uiAuth(s.uiDeleteFeed))
}
