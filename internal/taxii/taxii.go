// Package taxii is the hub's TAXII 2.1 server (discovery, API roots,
// collections, objects with pagination and filters, per-collection read
// and write rights) sharing the warning lists with units and partners,
// and its client polling partners' collections on a schedule, remembering
// added_after (issue 12). The scheduled intel feeds live here too: TAXII
// collections, MISP feeds, STIX and CSV files at a URL, and RSS/Atom
// advisory channels.
package taxii

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"vigil/internal/intel"
	"vigil/internal/store"
)

// Service serves and polls TAXII 2.1 collections and runs the intel feeds.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil

	// Intel stores what a write to a collection or a feed brings in
	// (intel.Service.Import). The hub sets it (internal/hub).
	Intel *intel.Service
	// ImportAdvisories files an RSS/Atom document of an advisory channel
	// (advisory.Service.ImportFeed); the hub sets it, so this package does
	// not depend on internal/advisory.
	ImportAdvisories func(ctx context.Context, feed string, r io.Reader) (int, error)
	// HTTP fetches the feeds; a client with the timeouts of fetch.go when
	// nil. Tests point it at their own servers.
	HTTP   *http.Client
	Logger *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// The server's one API root, its title and the media type of every
// request and answer.
const (
	APIRoot   = "intel"
	MediaType = "application/taxii+json;version=2.1"
	// STIXMediaType is the media type of a collection's objects.
	STIXMediaType = "application/stix+json;version=2.1"
	// MaxContentLength is the largest body a POST to objects may carry
	// (the API root's max_content_length).
	MaxContentLength = 10 << 20
	// DefaultPageSize and MaxPageSize bound a page of objects: the
	// server's discretion the specification leaves (section 3.4).
	DefaultPageSize = 1000
	MaxPageSize     = 5000
)

// Root is the path of the TAXII server's discovery resource.
const Root = "/taxii2/"

// RootPath is the path of the API root.
func RootPath() string { return Root + APIRoot + "/" }

// CollectionPath is the path a partner is given for a collection.
func CollectionPath(id string) string { return RootPath() + "collections/" + id + "/" }
