package main

import (
	"time"

	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/vuln"
)

// addFeedsSyncFlags declares the scheduled vulnerability feeds sync's
// flags (docs/vuln-feeds.md) and returns their reader.
func addFeedsSyncFlags(fs *cli.FlagSet) func() (hub.FeedsSyncConfig, error) {
	every := fs.Duration("feeds-sync-every", "-", 0, "fetch the vulnerability feeds (MSRC, NVD, KEV, EPSS) this often, e.g. 24h; 0 leaves it to 'vigil feeds sync'")
	msrcURL := fs.String("msrc-url", "-", vuln.DefaultSources.MSRC, "base of the MSRC CVRF API (or a mirror) for the scheduled sync")
	nvdURL := fs.String("nvd-url", "-", vuln.DefaultSources.NVD, "the NVD CVE API 2.0 endpoint (or a mirror) for the scheduled sync")
	kevURL := fs.String("kev-url", "-", vuln.DefaultSources.KEV, "the CISA KEV catalog's JSON (or a mirror) for the scheduled sync")
	epssURL := fs.String("epss-url", "-", vuln.DefaultSources.EPSS, "the EPSS scores CSV (or a mirror) for the scheduled sync")
	nvdKey := fs.String("nvd-api-key", "-", "", "NVD API key for the scheduled sync")
	msrcSince := fs.String("msrc-since", "-", "2023-01", "the scheduled sync fetches MSRC documents released from this month on (YYYY-MM)")
	return func() (hub.FeedsSyncConfig, error) {
		cfg := hub.FeedsSyncConfig{Every: *every, NVDAPIKey: *nvdKey,
			Sources: vuln.Sources{MSRC: *msrcURL, NVD: *nvdURL, KEV: *kevURL, EPSS: *epssURL}}
		if *every < 0 {
			return cfg, cli.UsageError("--feeds-sync-every must not be negative")
		}
		if *msrcSince != "" {
			t, err := time.Parse("2006-01", *msrcSince)
			if err != nil {
				return cfg, cli.UsageError("--msrc-since %q: want YYYY-MM", *msrcSince)
			}
			cfg.MSRCSince = t
		}
		return cfg, nil
	}
}
