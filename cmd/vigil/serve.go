package main

import (
	"context"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/intel"
)

func init() {
	register(&cli.Command{
		Name:  "serve",
		Short: "run the hub: web UI, API, ingest and scheduler",
		Usage: "vigil serve [flags]",
		Long: `Runs the hub until SIGINT or SIGTERM, then shuts down gracefully.
The database is migrated at start; a schema newer than this binary knows is
refused. On first start the administrator VIGIL_ADMIN_EMAIL is created with
VIGIL_ADMIN_PASSWORD, or with a generated password printed once to stderr.
--demo loads the demo organisation (idempotent) and prints the demo logins.`,
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			db := addDBFlags(fs)
			lf := addLogFlags(fs)
			listen := fs.String("listen", "-", "127.0.0.1:8080", "address to serve HTTP on")
			demo := fs.Bool("demo", "-", false, "load the demo organisation")
			adminEmail := fs.String("admin-email", "-", "admin@vigil.local", "e-mail of the administrator created on first start")
			adminPassword := fs.String("admin-password", "-", "", "password of that administrator; generated and printed once when empty")
			secure := fs.Bool("secure-cookies", "-", false, "mark cookies Secure (serve behind HTTPS)")
			trustProxy := fs.Bool("trust-proxy", "-", false, "take the client address from X-Forwarded-For (behind a reverse proxy only)")
			bodyLimit := fs.Int("body-limit", "-", 10<<20, "largest request body accepted, in bytes")
			importMaxRows := fs.Int("import-max-rows", "-", asset.DefaultMaxImportHosts, "most hosts one inventory import may hold")
			intelMax := fs.Int("intel-max-indicators", "-", intel.DefaultMaxIndicators, "most indicators one threat-intelligence import may hold")
			metricsListen := fs.String("metrics-listen", "-", "", "serve /metrics on this address only, not on --listen")
			metricsToken := fs.String("metrics-token", "-", "", "bearer token /metrics requires (open when empty)")
			var oidc auth.OIDCConfig
			oidcIssuer := fs.String("oidc-issuer", "-", "", "OpenID Connect issuer URL; enables single sign-on")
			oidcClient := fs.String("oidc-client-id", "-", "", "OpenID Connect client id")
			oidcSecret := fs.String("oidc-client-secret", "-", "", "OpenID Connect client secret")
			oidcRedirect := fs.String("oidc-redirect-url", "-", "", "this hub's callback URL, https://HOST/auth/oidc/callback")
			oidcRole := fs.String("oidc-role-claim", "-", "vigil_role", "ID-token claim holding the Vigil role")
			oidcUnit := fs.String("oidc-unit-claim", "-", "vigil_unit", "ID-token claim holding the unit code")
			escalation := addEscalationFlags(fs)
			trainingRates := addTrainingFlags(fs)
			outboxCfg := addOutboxFlags(fs)
			feedsSync := addFeedsSyncFlags(fs)
			// The bus and this process's role (docs/watch.md).
			busURL := fs.String("bus", "-", "", "NATS server carrying events between hub processes, nats://HOST:PORT; empty keeps them in the on-disk journal under --data-dir (one process)")
			role := fs.String("role", "-", "all", "part of the watch this process runs: all, ingest (listeners and events API), detect (the detection pipeline) or web (UI and API); other than all needs --bus")
			busMax := fs.Int("journal-max-bytes", "-", 1<<30, "bytes of received events the journal (or the NATS stream) holds before ingest refuses more")
			syslog := addIngestFlags(fs) // listeners (serve_ingest.go)
			rulesDirs := fs.Strings("rules", "Sigma rule directory or file detection loads besides the rules managed in the UI; re-read when it changes (repeatable; env: comma-separated)")
			iocFiles := fs.Strings("ioc", "indicator file (CSV type,value[,comment] or STIX 2.x) detection matches besides the hub's own; re-read when it changes (repeatable; env: comma-separated)")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return cli.UsageError("serve takes no arguments")
				}
				logger, err := lf.logger(fs.Stderr)
				if err != nil {
					return err
				}
				oidc = auth.OIDCConfig{Issuer: *oidcIssuer, ClientID: *oidcClient, ClientSecret: *oidcSecret, RedirectURL: *oidcRedirect, RoleClaim: *oidcRole, UnitClaim: *oidcUnit}
				ctx, stop := signalContext(ctx)
				defer stop()
				feeds, err := feedsSync()
				if err != nil {
					return err
				}
				watch := hub.WatchConfig{Bus: *busURL, Role: *role, BusMaxBytes: int64(*busMax), Indicators: *iocFiles, Rules: *rulesDirs}
				syslog(&watch)
				return hub.Run(ctx, hub.Config{
					Listen: *listen, DataDir: *db.dataDir, DatabaseURL: *db.database,
					Demo: *demo, AdminEmail: *adminEmail, AdminPassword: *adminPassword,
					SecureCookies: *secure, TrustProxy: *trustProxy,
					BodyLimit: int64(*bodyLimit), OIDC: oidc, Version: version, Logger: logger, Stderr: fs.Stderr,
					MetricsListen: *metricsListen, MetricsToken: *metricsToken, ImportMaxRows: *importMaxRows, IntelMaxIndicators: *intelMax,
					Escalation: escalation(),
					Training:   trainingRates(),
					Outbox:     outboxCfg(),
					Watch:      watch,
					FeedsSync:  feeds,
				})
			}
		},
	})
}
