// Package hub assembles a running Vigil hub from its parts: the store, the
// services, the HTTP server and the scheduler. cmd/vigil only parses flags
// and calls Run.
package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/bus"
	"vigil/internal/demo"
	"vigil/internal/jobs"
	"vigil/internal/store"
	"vigil/internal/web"
)

// Config is everything `vigil serve` takes.
type Config struct {
	Listen        string
	DataDir       string
	DatabaseURL   string
	Demo          bool
	AdminEmail    string
	AdminPassword string
	SecureCookies bool
	TrustProxy    bool
	BodyLimit     int64
	OIDC          auth.OIDCConfig // used when OIDC.Issuer is set
	Version       string
	Logger        *slog.Logger
	// Stderr receives the one-time messages for the person starting the
	// hub (generated password, demo logins).
	Stderr io.Writer
	// ImportMaxRows caps the hosts of one inventory import
	// (asset.DefaultMaxImportHosts when 0).
	ImportMaxRows int
	// IntelMaxIndicators caps the indicators of one intelligence import
	// (intel.DefaultMaxIndicators when 0).
	IntelMaxIndicators int
	// MetricsListen, when set, serves /metrics on this address only (a
	// network Prometheus reaches and users do not), not on Listen.
	MetricsListen string
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// Watch configures the event pipeline (listeners, bus, rules, role);
	// see watch.go and docs/watch.md.
	Watch WatchConfig
	// Escalation configures notifications (SMTP, links, Telegram); see
	// escalation.go.
	Escalation EscalationConfig
	// Training sets the rates of training and drill mail (training.go).
	Training TrainingConfig
	// Outbox configures the delivery of national reports (outbox.go).
	Outbox OutboxConfig
	// FeedsSync schedules the vulnerability feeds' sync (feeds.go).
	FeedsSync FeedsSyncConfig
	// Ready, if set, is called with the bound address once serving;
	// MetricsReady with the metrics listener's.
	Ready, MetricsReady func(addr string)
}

// Hub is an assembled hub: the database, the capabilities' services (see
// wiring.go) and the HTTP server over them.
type Hub struct {
	web.Services
	DB     *store.DB
	Server *web.Server
	// Bus carries events from ingest to detection; startWatch opens it
	// (watch.go).
	Bus       bus.Bus
	logger    *slog.Logger
	listen    string // the demo's health probe checks the hub's own address
	feedsSync FeedsSyncConfig
}

// AuditAdapter lets auth write to the audit log without importing it.
func AuditAdapter(ctx context.Context, tx *store.Tx, action, objectType, objectID string, unitID int64, after any) error {
	return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: objectType, ObjectID: objectID, UnitID: unitID, After: after})
}

// Open connects to the database, migrates it and builds the services.
func Open(ctx context.Context, cfg Config) (*Hub, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	db, err := store.Open(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(applied) > 0 {
		cfg.Logger.Info("database migrated", "engine", db.Dialect.String(), "versions", applied)
	}
	h, err := New(db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return h, nil
}

// New builds the services and the HTTP server on an open, migrated
// database.
func New(db *store.DB, cfg Config) (*Hub, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Hub{DB: db, logger: cfg.Logger, listen: cfg.Listen, feedsSync: cfg.FeedsSync}
	h.Services = services(db)
	h.Intel.MaxIndicators, h.Intel.Logger = cfg.IntelMaxIndicators, cfg.Logger
	h.hooks()
	h.configureEscalation(cfg)
	h.configureTraining(cfg)
	h.configureOutbox(cfg)
	h.configureHealth(cfg)
	h.configureTAXII()
	var sso *auth.OIDC
	if cfg.OIDC.Issuer != "" {
		var err error
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sso, err = auth.NewOIDC(ctx, cfg.OIDC)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	var err error
	h.Server, err = web.New(web.Config{Services: h.Services, DB: db, Logger: cfg.Logger, BodyLimit: cfg.BodyLimit,
		SecureCookies: cfg.SecureCookies, TrustProxy: cfg.TrustProxy, OIDC: sso, Version: cfg.Version,
		MetricsToken: cfg.MetricsToken, MetricsElsewhere: cfg.MetricsListen != "", ImportMaxRows: cfg.ImportMaxRows})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Bootstrap creates the first administrator and, with demo, the demo
// organisation, printing what a person needs to sign in.
func (h *Hub) Bootstrap(ctx context.Context, cfg Config) error {
	if cfg.AdminEmail == "" {
		cfg.AdminEmail = "admin@vigil.local"
	}
	generated, created, err := h.Org.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}
	w := cfg.Stderr
	if w == nil {
		w = io.Discard
	}
	if created && generated != "" {
		fmt.Fprintf(w, "\nVigil created the administrator %s with the password:\n\n    %s\n\nIt is shown only this once; sign in and keep it safe (or set VIGIL_ADMIN_PASSWORD before the first start).\n\n", cfg.AdminEmail, generated)
	} else if created {
		fmt.Fprintf(w, "Vigil created the administrator %s with the password from VIGIL_ADMIN_PASSWORD.\n", cfg.AdminEmail)
	}
	if cfg.Demo {
		res, err := demo.Load(ctx, h.Org)
		if err != nil {
			return err
		}
		if err := h.loadDemo(ctx); err != nil {
			return err
		}
		cfg.Logger.Info("demo organisation loaded", "units_created", res.Units, "contacts_created", res.Contacts, "users_created", res.Users)
		fmt.Fprintf(w, "Demo organisation loaded. Demo accounts (password %q):\n", demo.Password)
		for _, a := range demo.Accounts {
			fmt.Fprintf(w, "    %-32s %-8s unit %s\n", a.Email, a.Role, a.Unit)
		}
		if !created {
			fmt.Fprintf(w, "The administrator is %s (its password was printed at first start; reset it with: vigil users reset-password %s).\n", cfg.AdminEmail, cfg.AdminEmail)
		}
	}
	return nil
}

// Close releases the database.
func (h *Hub) Close() error { return h.DB.Close() }

// Run opens the hub, serves until ctx is cancelled, then shuts down
// gracefully: in-flight requests get up to 15 s to finish.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Demo && !loopback(cfg.Listen) {
		return fmt.Errorf("refusing --demo on %s: the demo accounts share a published password; serve the demo on 127.0.0.1 only", cfg.Listen)
	}
	if err := cfg.Watch.check(); err != nil {
		return err
	}
	h, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.Bootstrap(ctx, cfg); err != nil {
		return err
	}
	sched := jobs.New(h.DB, cfg.Logger)
	for _, j := range append(h.jobs(sched), h.feedsJobs()...) {
		sched.Add(j)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: h.Server.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s: %w", cfg.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h.Server.MetricsHandler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(mln) }()
		cfg.Logger.Info("metrics serving", "url", "http://"+mln.Addr().String()+"/metrics")
		if cfg.MetricsReady != nil {
			cfg.MetricsReady(mln.Addr().String())
		}
	}
	stopWatch, err := h.startWatch(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopWatch()
	stopReports, err := h.startReportListener(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopReports()
	jobCtx, stopJobs := context.WithCancel(context.Background())
	wg := sched.Start(jobCtx)
	h.startEscalation(jobCtx, cfg, wg)
	h.startOutbox(jobCtx, cfg, wg)
	h.startHealth(jobCtx, wg)
	go func() { errc <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	cfg.Logger.Info("vigil hub serving", "url", "http://"+addr, "database", h.DB.Dialect.String(), "where", h.DB.Where)
	if cfg.Ready != nil {
		cfg.Ready(addr)
	}
	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		stopJobs()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	cfg.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	h.Alerts.CloseStreams() // live alert pages would hold Shutdown up
	err = nil
	for _, s := range servers {
		if serr := s.Shutdown(sctx); serr != nil && err == nil {
			err = serr
		}
	}
	stopJobs()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	cfg.Logger.Info("stopped")
	return nil
}

// loopback reports whether a listen address is reachable from this machine
// only.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
