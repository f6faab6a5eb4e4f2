// Package advisory carries advisories from the IT Center or a national
// agency to the units (issue 12): title, severity, affected products and
// CVEs, required actions, a deadline and target units; units acknowledge
// and report completion, overdue units are listed, and an advisory that
// names CVEs links to each unit's matching findings. RSS and Atom channels
// bring advisories in as drafts.
package advisory

import (
	"context"
	"errors"
	"io"
	"time"

	"vigil/internal/store"
)

// Service keeps advisories and the units' answers.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
}

// ImportFeed reads an RSS 2.0 or Atom 1.0 document from an advisory
// channel (feed names the channel) and files each item not seen before as
// a draft advisory; it returns how many were new. The TAXII/feeds poller
// calls it for feeds of kind "rss".
func (s *Service) ImportFeed(ctx context.Context, feed string, r io.Reader) (int, error) {
	return 0, errors.New("advisory: feed import not implemented yet")
}
