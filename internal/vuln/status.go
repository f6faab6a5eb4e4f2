package vuln

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// MaxAge is how old each feed may get before the hub calls it stale:
// MSRC publishes monthly (the second Tuesday, revisions in between), NVD
// and EPSS daily, KEV on most working days.
var MaxAge = map[string]time.Duration{
	FeedMSRC: 35 * 24 * time.Hour,
	FeedNVD:  3 * 24 * time.Hour,
	FeedKEV:  7 * 24 * time.Hour,
	FeedEPSS: 3 * 24 * time.Hour,
}

// Titles name the feeds in logs and the health page.
var Titles = map[string]string{
	FeedMSRC: "Microsoft security updates (MSRC)",
	FeedNVD:  "NVD CVE records",
	FeedKEV:  "CISA Known Exploited Vulnerabilities",
	FeedEPSS: "EPSS scores",
}

// FeedStatus is what one feed has loaded.
type FeedStatus struct {
	Feed      string    `json:"feed"`
	Source    string    `json:"source"`    // the file or URL of the last import
	LoadedAt  time.Time `json:"loaded_at"` // zero: never loaded
	DataDate  time.Time `json:"data_date"` // the newest data's own date
	Records   int       `json:"records"`   // of the last import
	Changed   int       `json:"changed"`
	Unchanged int       `json:"unchanged"`
	Skipped   int       `json:"skipped"`
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
	Rows      int       `json:"rows"`              // CVEs (msrc, nvd), entries (kev), scores (epss) held
	Fixes     int       `json:"fixes,omitempty"`   // msrc: fixes held
	Matches   int       `json:"matches,omitempty"` // nvd: CPE matches held
}

// Import is one past import.
type Import struct {
	ID         int64     `json:"id"`
	Feed       string    `json:"feed"`
	Source     string    `json:"source"`
	Actor      string    `json:"actor"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Records    int       `json:"records"`
	Changed    int       `json:"changed"`
	Unchanged  int       `json:"unchanged"`
	Skipped    int       `json:"skipped"`
	DataDate   time.Time `json:"data_date"`
	Error      string    `json:"error,omitempty"`
}

// Status is the knowledge base at a glance.
type Status struct {
	Version   int64        `json:"kb_version"`
	Feeds     []FeedStatus `json:"feeds"` // every feed, in Feeds order, loaded or not
	Documents []Document   `json:"documents"`
	Imports   []Import     `json:"imports"` // the latest 20
}

// Status says what is loaded and how old it is, for any signed-in user.
func (s *Service) Status(ctx context.Context) (*Status, error) {
	p := auth.FromContext(ctx)
	if p == nil || p.Via == "agent" {
		return nil, errs.Errorf(errs.EUNAUTHORIZED, "authentication required")
	}
	st := &Status{Documents: []Document{}, Imports: []Import{}}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM vuln_kb_version WHERE id = 1`).Scan(&st.Version); err != nil {
			return fmt.Errorf("vuln: read version: %w", err)
		}
		byFeed := map[string]*FeedStatus{}
		for _, f := range Feeds {
			st.Feeds = append(st.Feeds, FeedStatus{Feed: f})
		}
		for i := range st.Feeds {
			byFeed[st.Feeds[i].Feed] = &st.Feeds[i]
		}
		if err := each(ctx, tx, `SELECT feed, source, loaded_at, data_date, records, changed, unchanged, skipped, last_error, error_at FROM vuln_feeds`, nil, func(sc scanner) error {
			var f FeedStatus
			var at, dd, ea int64
			if err := sc.Scan(&f.Feed, &f.Source, &at, &dd, &f.Records, &f.Changed, &f.Unchanged, &f.Skipped, &f.LastError, &ea); err != nil {
				return err
			}
			f.LoadedAt, f.DataDate, f.ErrorAt = store.Time(at), store.Time(dd), store.Time(ea)
			if t := byFeed[f.Feed]; t != nil {
				*t = f
			}
			return nil
		}); err != nil {
			return err
		}
		for _, c := range []struct {
			dst *int
			q   string
		}{
			{&byFeed[FeedMSRC].Rows, `SELECT COUNT(*) FROM vuln_cves WHERE source = 'msrc'`},
			{&byFeed[FeedMSRC].Fixes, `SELECT COUNT(*) FROM vuln_ms_fixes`},
			{&byFeed[FeedNVD].Rows, `SELECT COUNT(*) FROM vuln_cves WHERE source = 'nvd'`},
			{&byFeed[FeedNVD].Matches, `SELECT COUNT(*) FROM vuln_cpe_matches`},
			{&byFeed[FeedKEV].Rows, `SELECT COUNT(*) FROM vuln_kev`},
			{&byFeed[FeedEPSS].Rows, `SELECT COUNT(*) FROM vuln_epss`},
		} {
			if err := tx.QueryRow(ctx, c.q).Scan(c.dst); err != nil {
				return fmt.Errorf("vuln: count: %w", err)
			}
		}
		docs, err := documents(ctx, tx)
		if err != nil {
			return err
		}
		if docs != nil {
			st.Documents = docs
		}
		return each(ctx, tx, `SELECT id, feed, source, actor, started_at, finished_at, records, changed, unchanged, skipped, data_date, error
			FROM vuln_imports ORDER BY id DESC LIMIT 20`, nil, func(sc scanner) error {
			var im Import
			var sa, fa, dd int64
			if err := sc.Scan(&im.ID, &im.Feed, &im.Source, &im.Actor, &sa, &fa, &im.Records, &im.Changed, &im.Unchanged, &im.Skipped, &dd, &im.Error); err != nil {
				return err
			}
			im.StartedAt, im.FinishedAt, im.DataDate = store.Time(sa), store.Time(fa), store.Time(dd)
			st.Imports = append(st.Imports, im)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}
