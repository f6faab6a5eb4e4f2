package hub

import (
	"context"
	"sync"
	"time"

	"vigil/internal/outbox"
)

// OutboxConfig is the part of `vigil serve` that delivers the national
// reports (internal/outbox): how often due deliveries are sent, the
// backoff between attempts and how long a recipient may stay down before
// a delivery gives up. E-mail goes through the escalation's SMTP server.
type OutboxConfig struct {
	// Every is how often due deliveries are sent (10 s when 0).
	Every time.Duration
	// RetryBase and RetryMax bound the backoff (30 s doubling to 1 h when
	// 0); GiveUpAfter is how long a delivery is retried (7 days when 0).
	RetryBase, RetryMax, GiveUpAfter time.Duration
}

// configureOutbox gives the outbox the hub's SMTP server and cfg. It is
// called after configureEscalation.
func (h *Hub) configureOutbox(cfg Config) {
	if h.Outbox == nil {
		return
	}
	o, c := h.Outbox, cfg.Outbox
	o.Logger = h.logger
	if h.Escalate != nil {
		o.Mail = h.Escalate.Mail
	}
	o.RetryBase, o.RetryMax, o.GiveUpAfter = c.RetryBase, c.RetryMax, c.GiveUpAfter
}

// startOutbox delivers until ctx ends; wg waits for it.
func (h *Hub) startOutbox(ctx context.Context, cfg Config, wg *sync.WaitGroup) {
	if h.Outbox == nil {
		return
	}
	if h.Outbox.Metrics == nil {
		m := outbox.NewMetrics()
		if err := m.Register(h.Server.Registry()); err == nil {
			h.Outbox.Metrics = m
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.Outbox.Run(ctx, cfg.Outbox.Every)
	}()
}
