package main

import (
	"time"

	"vigil/internal/cli"
	"vigil/internal/hub"
)

// addOutboxFlags declares the flags of report delivery (internal/outbox):
// e-mail goes through the --smtp-* server; these set the pace and how long
// a recipient may stay down.
func addOutboxFlags(fs *cli.FlagSet) func() hub.OutboxConfig {
	every := fs.Duration("outbox-every", "-", 10*time.Second, "how often due report deliveries are sent")
	giveUp := fs.Duration("outbox-give-up", "-", 7*24*time.Hour, "how long a report delivery is retried before it fails for good (\"retry now\" starts it again)")
	retryMax := fs.Duration("outbox-retry-max", "-", time.Hour, "the longest wait between two attempts (30 s doubling up to this)")
	return func() hub.OutboxConfig {
		return hub.OutboxConfig{Every: *every, GiveUpAfter: *giveUp, RetryMax: *retryMax}
	}
}
