package hub

import (
	"context"
	"time"

	"vigil/internal/auth"
	"vigil/internal/health"
)

// configureTAXII connects the TAXII server and the intel feeds to what
// they import into: the intel service (writes to a collection, TAXII,
// MISP, STIX and CSV feeds) and the advisories (RSS/Atom channels); and
// reports each enabled feed's freshness to the health sweep.
func (h *Hub) configureTAXII() {
	h.TAXII.Intel = h.Intel
	h.TAXII.ImportAdvisories = h.Advisories.ImportFeed
	h.TAXII.Logger = h.logger
	h.Health.Feeds = append(h.Health.Feeds, health.FeedFunc(func(ctx context.Context) ([]health.FeedState, error) {
		fs, err := h.TAXII.FeedHealth(auth.WithPrincipal(ctx, auth.System))
		if err != nil {
			return nil, err
		}
		out := make([]health.FeedState, 0, len(fs))
		for _, f := range fs {
			out = append(out, health.FeedState{Name: "intel/" + f.Name, Title: f.Name, LastUpdate: f.LastOK, LastError: f.LastError,
				MaxAge: time.Duration(3*f.IntervalMinutes+60) * time.Minute})
		}
		return out, nil
	}))
}
