// Package ingest receives events for the watch and puts them on the bus:
// syslog over UDP, TCP and TLS (RFC 6587 octet counting or newline
// framing, found per connection), JSON lines or arrays posted to
// /api/v1/events with a source's token, and EVTX files uploaded.
//
// What is acknowledged is durable: a TCP connection is not read further
// until the frames it has given are published (bus.Publish returned), and
// the events API answers 202 only after Publish. A full bus pushes back
// (TCP stops reading and retries, HTTP answers 503 with Retry-After); UDP
// cannot push back, so what it cannot queue is dropped and counted, with
// the kernel's own drops. Memory is bounded: one buffer per connection,
// at most MaxConns connections, frames over MaxLine skipped. Whatever
// arrives — oversize frames, invalid UTF-8, binary garbage, unknown
// senders or tokens — is counted per reason and refused, never a crash.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"vigil/internal/bus"
	"vigil/internal/errs"
	"vigil/internal/sources"
)

// Config bounds what ingest holds; the zero value takes the defaults.
type Config struct {
	// MaxLine is the longest syslog message or JSON line (64 KiB).
	MaxLine int
	// MaxConns caps open TCP and TLS connections together (512); more are
	// closed at once.
	MaxConns int
	// IdleTimeout closes a connection that sends nothing (5 minutes).
	IdleTimeout time.Duration
	// FrameTimeout is how long a started frame may take to arrive (30 s):
	// a client trickling bytes is cut off.
	FrameTimeout time.Duration
	// MaxBatch is the most records published at once (2000).
	MaxBatch int
	// MaxBody caps an events API body after decompression (32 MiB).
	MaxBody int64
	// MaxEVTX caps an uploaded EVTX file (512 MiB).
	MaxEVTX int64
	// UDPQueue is how many batches of datagrams wait for the bus (64)
	// before more are dropped.
	UDPQueue int
}

func (c *Config) defaults() {
	if c.MaxLine <= 0 {
		c.MaxLine = 64 << 10
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 512
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.FrameTimeout <= 0 {
		c.FrameTimeout = 30 * time.Second
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 2000
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 32 << 20
	}
	if c.MaxEVTX <= 0 {
		c.MaxEVTX = 512 << 20
	}
	if c.UDPQueue <= 0 {
		c.UDPQueue = 64
	}
}

// Service receives events for the bus on behalf of registered sources.
type Service struct {
	Config
	Sources *sources.Service
	Logger  *slog.Logger
	Metrics *Metrics

	bus   atomic.Pointer[busRef]
	conns atomic.Int64
}

type busRef struct{ bus.Bus }

// New returns a service with cfg's defaults filled in; it takes events
// once SetBus gives it a bus.
func New(src *sources.Service, cfg Config, logger *slog.Logger) *Service {
	cfg.defaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{Config: cfg, Sources: src, Logger: logger, Metrics: newMetrics()}
}

// SetBus gives the service the bus it publishes to (nil: events are
// refused as unavailable, as in a process of role web or detect).
func (s *Service) SetBus(b bus.Bus) {
	if b == nil {
		s.bus.Store(nil)
		return
	}
	s.bus.Store(&busRef{b})
}

func (s *Service) currentBus() bus.Bus {
	if r := s.bus.Load(); r != nil {
		return r.Bus
	}
	return nil
}

// errNoBus is answered when this process takes no events.
var errNoBus = &errs.Error{Code: errs.EUNAVAILABLE, RetryAfter: 30 * time.Second, Message: "this hub process does not take events; send them to an ingest process"}

// errBusy is answered when the bus stays full.
var errBusy = &errs.Error{Code: errs.EUNAVAILABLE, RetryAfter: 5 * time.Second, Message: "the event pipeline is full; try again shortly"}

// publishWait publishes recs, waiting while the bus is full (push back)
// until ctx ends or, when patience is positive, that long has passed.
func (s *Service) publishWait(ctx context.Context, recs []bus.Record, transport string, patience time.Duration) error {
	b := s.currentBus()
	if b == nil {
		return errNoBus
	}
	backoff := 20 * time.Millisecond
	var deadline time.Time
	if patience > 0 {
		deadline = time.Now().Add(patience)
	}
	for {
		err := b.Publish(ctx, recs)
		if !errors.Is(err, bus.ErrFull) {
			return err
		}
		s.Metrics.pushback(transport)
		if !deadline.IsZero() && time.Now().Add(backoff).After(deadline) {
			return errBusy
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}
