package web

import (
	"net/http"

	"vigil/internal/intel"
)

// routesIntel lists the API routes and pages of indicators, warning lists, import and export (internal/intel).
func (s *Server) routesIntel() {
	s.api(apiRoute{Method: "POST", Path: "/api/v1/intel/import", Tag: "intel",
		Summary: "Import a threat-intelligence file (STIX 2.0/2.1 bundle, MISP event, indicator CSV, warning-list XLSX or values one a line; detected from the content). With ?list= the indicators join that warning list of the current month, which the IT Center's import creates and publishes. One transaction; at most 256 MiB and --intel-max-indicators indicators",
		RawBody: "application/octet-stream", Status: http.StatusOK, Result: intel.ImportResult{},
		Query: []string{"file", "name", "list", "unit", "source", "tlp", "report", "action", "severity", "reason"}, Handler: s.apiIntelImport})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/intel/indicators", Tag: "intel", Summary: "Indicators the caller reads (the IT Center: all; others: those on published lists for their units)",
		Result: intel.Indicator{}, Paged: true, Sorts: intel.IndicatorSortKeys, Query: []string{"kind", "source", "tlp", "q", "list", "status"}, Handler: s.apiIntelIndicators})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/intel/template.xlsx", Tag: "intel", Summary: "The warning-list XLSX import template (Vietnamese and English headers)",
		Handler: s.apiIntelTemplate})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlists", Tag: "intel", Summary: "Warning lists, newest first (drafts: the IT Center only)",
		Result: intel.List{}, Paged: true, Sorts: intel.ListSortKeys, Query: []string{"status", "month", "q"}, Handler: s.apiWatchlists})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/watchlists", Tag: "intel", Summary: "Create a draft warning list (the IT Center); ?from=ID makes the next version of list ID with its entries",
		Body: intel.ListInput{}, Result: intel.List{}, Query: []string{"from"}, Handler: s.apiCreateWatchlist})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlists/{id}", Tag: "intel", Summary: "A warning list", Result: intel.List{}, Handler: s.apiGetWatchlist})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlists/{id}/entries", Tag: "intel", Summary: "A list's entries the caller reads (targeting every unit or one of its subtree)",
		Result: intel.Entry{}, Paged: true, Sorts: intel.EntrySortKeys, Query: []string{"kind", "unit", "severity", "action", "q"}, Handler: s.apiWatchlistEntries})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/watchlists/{id}/entries", Tag: "intel", Summary: "Add entries (pasted values or stored indicator ids) targeting every unit (the IT Center) or a unit of the caller's subtree",
		Body: intel.EntryInput{}, Result: intel.ImportResult{}, Status: http.StatusOK, Handler: s.apiAddWatchlistEntries})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/watchlists/{id}/entries", Tag: "intel", Summary: "Remove entries of the indicators named (an officer: only those targeting its subtree)",
		Body: intel.RemoveInput{}, Result: removedBody{}, Status: http.StatusOK, Handler: s.apiRemoveWatchlistEntries})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/watchlists/{id}/publish", Tag: "intel", Summary: "Publish a draft list (the IT Center): the month's previous published version is superseded; matching starts",
		Result: intel.List{}, Status: http.StatusOK, Handler: s.apiPublishWatchlist})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/watchlists/{id}/withdraw", Tag: "intel", Summary: "Withdraw a list (the IT Center): agents and the pipeline stop receiving it",
		Body: withdrawBody{}, Result: intel.List{}, Status: http.StatusOK, Handler: s.apiWithdrawWatchlist})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlists/{id}/export", Tag: "intel", Summary: "Export a list's entries the caller reads as a STIX 2.1 bundle, a MISP event or the indicator CSV (?format=stix|misp|csv)",
		Query: []string{"format"}, Handler: s.apiExportWatchlist})

	s.routesIntelPages()
}
