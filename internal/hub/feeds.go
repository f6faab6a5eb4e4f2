package hub

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"vigil/internal/jobs"
	"vigil/internal/vuln"
)

// FeedsSyncConfig makes the hub fetch the vulnerability feeds itself on a
// schedule (the job "vuln-sync"), from their public addresses or a
// mirror; off when Every is 0. `vigil feeds sync` does the same from any
// machine through the API.
type FeedsSyncConfig struct {
	Every     time.Duration
	Sources   vuln.Sources
	NVDAPIKey string
	MSRCSince time.Time // MSRC documents released from then on
}

// feedsJobs is the scheduled sync, when configured.
func (h *Hub) feedsJobs() []jobs.Job {
	cfg := h.feedsSync
	if cfg.Every <= 0 {
		return nil
	}
	f := &vuln.Fetcher{HTTP: &http.Client{Timeout: time.Hour}, Sources: cfg.Sources, NVDAPIKey: cfg.NVDAPIKey,
		Log: func(format string, args ...any) { h.logger.Debug("feeds sync", "fetch", fmt.Sprintf(format, args...)) }}
	return []jobs.Job{{Name: "vuln-sync", Every: cfg.Every, Run: func(ctx context.Context) error {
		res, err := h.Vuln.Sync(ctx, f, vuln.SyncOptions{MSRCSince: cfg.MSRCSince})
		changed := 0
		for _, r := range res {
			changed += r.Changed
		}
		h.logger.Info("vulnerability feeds synced", "files", len(res), "changed", changed, "err", err)
		return err
	}}}
}
