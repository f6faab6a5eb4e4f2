// Package intel keeps threat intelligence and the IT Center's monthly
// warning lists (issue 12): indicators with their source, confidence, TLP
// marking and validity; lists versioned by month whose entries may target
// one unit; import from STIX, MISP, CSV, XLSX or pasted values
// (internal/intel/format), export to the same, and publishing, which hands
// a list to whoever matches it (internal/watchlist), to the detection
// pipeline and to the agents.
package intel

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Indicator is an indicator as stored (see format.Indicator).
type Indicator = format.Indicator

// Warning-list statuses.
const (
	ListDraft      = "draft"      // being assembled; nothing matches it
	ListPublished  = "published"  // in force: matched, sent to agents and the pipeline
	ListSuperseded = "superseded" // a later version of the same month replaced it
	ListWithdrawn  = "withdrawn"  // taken back by the IT Center
)

// List is one warning list: the IT Center's list of a month, one version.
type List struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Month       string    `json:"month"` // YYYY-MM
	Version     int       `json:"version"`
	Issuer      string    `json:"issuer,omitempty"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status"`
	StatusSince time.Time `json:"status_since"`
	RetroDays   int       `json:"retro_days"` // retro-hunt over stored alerts of this many days
	Entries     int       `json:"entries"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	PublishedBy string    `json:"published_by,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"`
}

// ImportResult is what an import did; its JSON is the fixed interface of
// `vigil intel import --json`.
type ImportResult struct {
	ObjectsRead      int              `json:"objects_read"`
	IndicatorsLoaded int              `json:"indicators_loaded"`
	Skipped          []format.Problem `json:"skipped"`
	Format           string           `json:"format,omitempty"`
	List             *List            `json:"list,omitempty"` // the list joined (and published) with --list
}

// Service keeps indicators and warning lists.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil

	// OnPublish is called, after the commit, for each list published: the
	// watchlist starts matching it. A hook's error is logged by the caller
	// of Publish and does not undo the publication.
	OnPublish []func(ctx context.Context, listID int64) error

	// MaxIndicators caps the indicators of one import
	// (DefaultMaxIndicators when 0).
	MaxIndicators int
	Logger        *slog.Logger // slog.Default when nil

	slots chan struct{} // imports at once
	once  sync.Once
	cache agentCache
}

// DefaultMaxIndicators is the cap on the indicators of one import.
const DefaultMaxIndicators = 2_000_000

func (s *Service) maxIndicators() int {
	if s.MaxIndicators > 0 {
		return s.MaxIndicators
	}
	return DefaultMaxIndicators
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ImportInput is one file to import.
type ImportInput struct {
	Name   string    // the file's name, in messages
	Data   io.Reader // the file
	Source string    // default source for indicators that name none
	TLP    string    // default marking
	Report string    // the report the file came from
	List   string    // join this warning list (created for the current month when new) and publish it
	Unit   string    // with List: the entries target this unit's subtree

	// ListID joins that list instead of one named List (the list page's
	// import form); it is not published by the import.
	ListID int64
	// Defaults of the entries for what a file's row does not say.
	Action   string
	Severity string
	Reason   string
}
