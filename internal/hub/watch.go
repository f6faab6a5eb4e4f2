package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/bus"
	"vigil/internal/ingest"
)

// WatchConfig is the part of `vigil serve` that runs the watch: which
// role this process plays, the bus between ingest and detection, the
// listeners and the rules (docs/watch.md).
type WatchConfig struct {
	// Role is all (default), ingest, detect or web.
	Role string
	// Bus is empty for the on-disk journal in DataDir, or nats://HOST:PORT.
	Bus string
	// BusMaxBytes caps the journal's segment files or the JetStream
	// stream; beyond it ingest refuses events (bus.DefaultJournalMaxBytes
	// when 0).
	BusMaxBytes int64
	// Rules is a directory (or file) of Sigma rules loaded besides the
	// rules managed in the UI.
	Rules []string
	// SyslogUDP, SyslogTCP and SyslogTLS are listen addresses; a listener
	// is off when its address is empty. TLS needs TLSCert and TLSKey.
	SyslogUDP, SyslogTCP, SyslogTLS string
	TLSCert, TLSKey                 string
	// Indicators are indicator files (CSV or STIX 2.x) the pipeline
	// matches besides the hub's own (--ioc; watch_ioc.go).
	Indicators []string
}

// startWatch starts this process's part of the watch: the bus, then the
// ingest listeners and the detection pipeline its role asks for. The
// returned stop waits for them to finish.
func (h *Hub) startWatch(ctx context.Context, cfg Config) (stop func(), err error) {
	role, err := ParseRole(cfg.Watch.Role)
	if err != nil {
		return nil, err
	}
	b, err := h.openBus(ctx, cfg, role)
	if err != nil {
		return nil, err
	}
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		b.Close()
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	// Ingest (listeners, events API) when role.Ingests() and the
	// pipeline (the detect group's consumer) when role.Detects() start
	// here, each in a function of its own that takes b and returns its
	// stop, appended to stops.
	if role.Ingests() {
		stopIngest, err := h.startIngest(ctx, cfg, b)
		if err != nil {
			return nil, err
		}
		stops = append(stops, stopIngest)
	}
	if role.Detects() {
		stopPipeline, err := h.startPipeline(ctx, cfg, b)
		if err != nil {
			return nil, err
		}
		stops = append(stops, stopPipeline)
	}
	return stop, nil
}

// Role is the part of the watch a hub process plays (--role).
type Role string

const (
	RoleAll    Role = "all"    // everything: one process, the default
	RoleIngest Role = "ingest" // syslog listeners and POST /api/v1/events
	RoleDetect Role = "detect" // the detection pipeline (bus consumer)
	RoleWeb    Role = "web"    // UI and API only
)

// ParseRole reads --role; empty is all.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case "":
		return RoleAll, nil
	case RoleAll, RoleIngest, RoleDetect, RoleWeb:
		return r, nil
	}
	return "", fmt.Errorf("--role %q: use all, ingest, detect or web", s)
}

// Ingests says whether the process takes events (listeners, events API).
func (r Role) Ingests() bool { return r == RoleAll || r == RoleIngest }

// Detects says whether the process runs the detection pipeline.
func (r Role) Detects() bool { return r == RoleAll || r == RoleDetect }

// check refuses a role or bus that cannot work, before anything opens.
func (w WatchConfig) check() error {
	role, err := ParseRole(w.Role)
	if err != nil {
		return err
	}
	switch {
	case w.Bus == "" && role != RoleAll:
		return fmt.Errorf("--role %s needs --bus nats://HOST:PORT: the on-disk journal belongs to one hub process, so processes that split ingest, detection and the web share events over NATS JetStream", role)
	case w.Bus != "" && !strings.HasPrefix(w.Bus, "nats://") && !strings.HasPrefix(w.Bus, "tls://"):
		return fmt.Errorf("--bus %q: give nats://HOST:PORT (or leave it empty for the on-disk journal)", w.Bus)
	}
	return nil
}

// openBus opens the bus between ingest and detection: the journal under
// DataDir for a single process, or JetStream when --bus names a NATS
// server. Every role opens it (web shows its state); its counters go to
// /metrics.
func (h *Hub) openBus(ctx context.Context, cfg Config, role Role) (bus.Bus, error) {
	w := cfg.Watch
	if err := w.check(); err != nil {
		return nil, err
	}
	var b bus.Bus
	switch {
	case w.Bus == "":
		if cfg.DataDir == "" {
			return nil, errors.New("the event journal needs --data-dir (or use --bus nats://HOST:PORT)")
		}
		j, err := bus.OpenJournal(filepath.Join(cfg.DataDir, "journal"), bus.JournalOptions{MaxBytes: w.BusMaxBytes, Logger: h.logger})
		if err != nil {
			return nil, err
		}
		b = j
		h.logger.Info("event bus: journal", "dir", j.Dir(), "max_bytes", j.Stats().MaxBytes, "torn_bytes_cut", j.Recovered().TornBytes)
	default:
		js, err := bus.OpenJetStream(ctx, bus.JetStreamOptions{URL: w.Bus, MaxBytes: w.BusMaxBytes, Logger: h.logger})
		if err != nil {
			return nil, err
		}
		b = js
		h.logger.Info("event bus: NATS JetStream", "server", js.Stats().Where, "role", string(role))
	}
	h.Bus = b
	h.registerBusMetrics(b)
	return b, nil
}

// BusStats says how the bus is doing, for pages that show the watch's
// health; ok is false before the watch started (or in tests without it).
func (h *Hub) BusStats() (st bus.Stats, ok bool) {
	if h.Bus == nil {
		return bus.Stats{}, false
	}
	return h.Bus.Stats(), true
}

func (h *Hub) registerBusMetrics(b bus.Bus) {
	reg := h.Server.Registry()
	counter := func(name, help string, f func(bus.Stats) uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(b.Stats())) }))
	}
	gauge := func(name, help string, f func(bus.Stats) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(b.Stats()) }))
	}
	counter("vigil_bus_published_records_total", "Event records made durable on the bus by this process.", func(s bus.Stats) uint64 { return s.Published })
	counter("vigil_bus_refused_records_total", "Event records refused because the bus was full (push back).", func(s bus.Stats) uint64 { return s.Refused })
	counter("vigil_bus_consumed_records_total", "Event records acknowledged by this process's consumers.", func(s bus.Stats) uint64 { return s.Consumed })
	gauge("vigil_bus_pending_records", "Event records published and not yet acknowledged by every consumer group.", func(s bus.Stats) float64 { return float64(s.Pending) })
	gauge("vigil_bus_bytes", "Bytes the bus holds (journal segments or JetStream stream).", func(s bus.Stats) float64 { return float64(s.Bytes) })
	gauge("vigil_bus_max_bytes", "The bus's cap in bytes beyond which events are refused.", func(s bus.Stats) float64 { return float64(s.MaxBytes) })
}

// startIngest lets the events API publish to b, starts the syslog
// listeners the configuration names (none by default) and the flushing
// of the sources' counters. Its stop closes the listeners, waits for
// their connections, and flushes the counters a last time.
func (h *Hub) startIngest(ctx context.Context, cfg Config, b bus.Bus) (stop func(), err error) {
	w := cfg.Watch
	in := h.Ingest
	in.Logger = h.logger
	if err := in.Metrics.Register(h.Server.Registry()); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
	}
	addrs := ingest.Addrs{UDP: w.SyslogUDP, TCP: w.SyslogTCP, TLS: w.SyslogTLS}
	if w.SyslogTLS != "" {
		if w.TLSCert == "" || w.TLSKey == "" {
			return nil, errors.New("--syslog-tls needs --tls-cert and --tls-key")
		}
		cert, err := tls.LoadX509KeyPair(w.TLSCert, w.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("syslog TLS: %w", err)
		}
		addrs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	in.SetBus(b)
	flushCtx, stopFlush := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		h.Sources.Run(flushCtx, 5*time.Second, h.logger)
	}()
	ls, err := in.Listen(ctx, addrs)
	if err != nil {
		in.SetBus(nil)
		stopFlush()
		<-flushed
		return nil, err
	}
	return func() {
		ls.Close()
		in.SetBus(nil)
		stopFlush()
		<-flushed
	}, nil
}
