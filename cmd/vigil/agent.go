package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"vigil/internal/agent"
	"vigil/internal/agent/agentapi"
	"vigil/internal/agent/scan"
	"vigil/internal/cli"
	"vigil/internal/detect/ioc"
)

func init() {
	register(&cli.Command{
		Name:  "agent",
		Short: "the endpoint agent: collect, enroll, run, scan, install, uninstall",
		Long: "The endpoint agent. 'collect' prints this machine's inventory; 'enroll' registers it\n" +
			"with a hub; 'run' reports to the hub; 'scan' looks for known-bad files, processes\n" +
			"and connections; 'install' and 'uninstall' manage the system service.",
		Subs: []*cli.Command{agentCollectCmd, agentEnrollCmd, agentRunCmd, agentStatusCmd, agentScanCmd, agentInstallCmd, agentUninstallCmd},
	})
}

var agentCollectCmd = &cli.Command{
	Name:  "collect",
	Short: "print this machine's inventory as JSON",
	Usage: "vigil agent collect [flags]",
	Long: "Collects this machine's inventory (OS, hardware, network, listening ports, processes,\n" +
		"accounts, software, hotfixes, security controls) and prints one JSON object on\n" +
		"stdout. No hub is needed. Executable digests are cached in the state directory\n" +
		"when it is writable.",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		stateDir := stateDirFlag(fs)
		pretty := fs.Bool("pretty", "-", false, "indent the JSON")
		noHash := fs.Bool("no-hash", "-", false, "do not hash process executables")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return cli.UsageError("collect takes no arguments")
			}
			col := &agent.Collector{Version: version}
			cacheFile := filepath.Join(*stateDir, "hashes.json")
			if !*noHash {
				col.Hashes = agent.LoadHashCache(cacheFile)
			}
			inv, err := col.Collect(ctx)
			if err != nil {
				return err
			}
			if col.Hashes != nil {
				_ = col.Hashes.Save(cacheFile) // best effort: the directory may not exist
			}
			enc := json.NewEncoder(fs.Stdout)
			if *pretty {
				enc.SetIndent("", "  ")
			}
			return enc.Encode(inv)
		}
	},
}

var agentScanCmd = &cli.Command{
	Name:  "scan",
	Short: "hash files and check processes and connections against indicators",
	Usage: "vigil agent scan --paths DIR [--paths DIR ...] [DIR ...] [--ioc FILE] [--max-size 100MB] [--report [--state-dir DIR]]",
	Long: "Walks the given trees (regular files only; symbolic links are not followed; /proc,\n" +
		"/sys and other pseudo filesystems are skipped), hashes each file with SHA-256 and\n" +
		"matches the digests against the indicators, then checks the executables of running\n" +
		"processes and the remote addresses of open connections. --ioc reads indicator files:\n" +
		"CSV type,value[,comment] (sha256, ip, cidr, domain) or STIX 2.x; without it nothing\n" +
		"matches and the scan only counts; a bad indicator fails the scan before it starts.\n" +
		"--paths and --ioc repeat or take comma-separated lists.\n" +
		"--report sends the report to the hub this host is enrolled with (--state-dir): the\n" +
		"hub lists it among the host's scans and files its findings in the findings queue, as\n" +
		"for a scan it asked for; if the hub cannot be reached the report waits in the state\n" +
		"directory's queue and 'vigil agent run' sends it.\n" +
		"Exit status 0: no findings; 3: findings; 1: error.",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		pathsFlag := listFlag(fs, "paths", "directories or files to scan")
		iocFlag := listFlag(fs, "ioc", "indicator files, CSV type,value[,comment]")
		maxSize := fs.String("max-size", "-", "100MB", "skip files larger than this (B, KB, MB, GB, KiB, MiB, GiB; 0 for no limit)")
		workers := fs.Int("workers", "-", 0, "hashing workers (0: GOMAXPROCS)")
		asJSON := fs.Bool("json", "-", false, "print the whole report as JSON")
		noLive := fs.Bool("no-live", "-", false, "skip the process and connection checks")
		report := fs.Bool("report", "-", false, "send the report to the hub this host is enrolled with (see --state-dir)")
		stateDir := stateDirFlag(fs)
		return func(ctx context.Context, args []string) error {
			paths := append(append([]string(nil), *pathsFlag...), args...)
			if len(paths) == 0 && *noLive {
				return cli.UsageError("nothing to scan: give --paths or drop --no-live")
			}
			max, err := parseSize(*maxSize)
			if err != nil {
				return cli.UsageError("--max-size: %v", err)
			}
			// Check the enrolment before the scan, not after an hour of it.
			var reporter *scanReporter
			if *report {
				if reporter, err = newScanReporter(*stateDir); err != nil {
					return err
				}
			}
			set, counts, err := loadIndicators(*iocFlag)
			if err != nil {
				return err
			}
			opts := agent.ScanOptions{
				Options:         scan.Options{Paths: paths, MaxSize: max, Workers: *workers, Indicators: set},
				SkipProcesses:   *noLive,
				SkipConnections: *noLive,
			}
			rep, err := agent.Review(ctx, opts)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(fs.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				for _, f := range rep.Findings {
					fmt.Fprintln(fs.Stdout, describeFinding(f))
				}
			}
			secs := rep.FinishedAt.Sub(rep.StartedAt).Seconds()
			fmt.Fprintf(fs.Stderr, "scanned %d files, %.1f MB in %.2fs (%.0f MB/s); skipped %d too large, %d special, %d unreadable; %d processes, %d connections; indicators: %s; %d findings\n",
				rep.Files, float64(rep.Bytes)/1e6, secs, float64(rep.Bytes)/1e6/max1(secs), rep.TooLarge, rep.Special, rep.Unreadable,
				rep.Processes, rep.Connections, counts, len(rep.Findings))
			if reporter != nil {
				live := !*noLive
				params := agentapi.ScanParams{Paths: paths, MaxSize: max, Processes: &live, Connections: &live}
				if err := reporter.send(ctx, params, rep, fs.Stderr); err != nil {
					return err
				}
			}
			if len(rep.Findings) > 0 {
				return &cli.ExitError{Code: 3}
			}
			return nil
		}
	},
}

// scanReporter sends `vigil agent scan --report` reports as the enrolled
// agent of its state directory.
type scanReporter struct {
	state  *agent.State
	client *agent.Client
}

func newScanReporter(stateDir string) (*scanReporter, error) {
	if _, err := os.Stat(filepath.Join(stateDir, "identity.json")); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("--report: not enrolled: this host has no identity in %s; run 'vigil agent enroll --server URL --token TOKEN' first, or give the enrolled agent's --state-dir", stateDir)
	}
	st, err := agent.OpenState(stateDir)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	id, err := st.LoadIdentity()
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	return &scanReporter{state: st, client: &agent.Client{Server: id.Server, AgentID: id.AgentID, Secret: id.Secret, Version: version}}, nil
}

// send posts the report; when the hub cannot take it now (unreachable,
// overloaded, credentials refused) it queues it for `vigil agent run`.
func (r *scanReporter) send(ctx context.Context, params agentapi.ScanParams, rep *scan.Report, log io.Writer) error {
	msg := agentapi.ScanReport{ID: newReportID(), Params: params, Report: rep}
	resp, err := r.client.ScanReport(ctx, msg)
	switch {
	case err == nil:
		fmt.Fprintf(log, "reported to %s as scan %s (%d findings)\n", r.client.Server, resp.TaskID, resp.Findings)
		return nil
	case agent.Retryable(err) || agent.StatusOf(err) == http.StatusUnauthorized || agent.StatusOf(err) == http.StatusForbidden:
		if qerr := r.state.QueueScanReport(msg); qerr != nil {
			return fmt.Errorf("--report: %v; and keeping it for later failed: %w", err, qerr)
		}
		fmt.Fprintf(log, "--report: %v\nthe report waits in %s; 'vigil agent run' sends it when the hub answers\n", err, filepath.Join(r.state.Dir, "queue"))
		return nil
	}
	return fmt.Errorf("--report: %w", err)
}

// newReportID names a report so the hub records it once however often it
// is sent.
func newReportID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// loadIndicators reads indicator files (CSV type,value[,comment] or STIX
// 2.x JSON) with the shared indicator library. A bad row fails the load,
// naming file and line: a scan against half a list would look clean.
func loadIndicators(files []string) (*ioc.Set, string, error) {
	b := ioc.NewBuilder()
	for _, f := range files {
		st, err := b.AddFile(f)
		if err != nil {
			return nil, "", err
		}
		if st.Bad > 0 {
			return nil, "", fmt.Errorf("%v (%d bad indicators in all; nothing scanned)", st.Errors[0], st.Bad)
		}
	}
	set := b.Build()
	counts := fmt.Sprintf("%d sha256, %d md5/sha1 (not matched), %d addresses, %d domains",
		set.Count(ioc.KindSHA256), set.Count(ioc.KindMD5)+set.Count(ioc.KindSHA1), set.Count(ioc.KindIP), set.Count(ioc.KindDomain))
	return set, counts, nil
}

// listFlag declares a repeatable flag that also splits on commas; its env
// var (VIGIL_<NAME>, comma-separated) is the default until the flag is
// given.
func listFlag(fs *cli.FlagSet, name, usage string) *[]string {
	def := fs.String(name, "-", "", usage+" (repeatable, or comma-separated)")
	l := &listValue{}
	if *def != "" {
		l.Set(*def)
		l.fromEnv = true
	}
	fs.Lookup(name).Value = l
	return &l.vals
}

type listValue struct {
	vals    []string
	fromEnv bool
}

func (l *listValue) String() string { return strings.Join(l.vals, ",") }

func (l *listValue) Set(v string) error {
	if l.fromEnv {
		l.vals, l.fromEnv = nil, false
	}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			l.vals = append(l.vals, p)
		}
	}
	return nil
}

// stateDirFlag declares --state-dir bound to VIGIL_AGENT_STATE_DIR.
func stateDirFlag(fs *cli.FlagSet) *string {
	return fs.String("state-dir", "VIGIL_AGENT_STATE_DIR", agent.DefaultStateDir(), "agent state directory: identity, inventory state, queue, caches")
}

var agentEnrollCmd = &cli.Command{
	Name:  "enroll",
	Short: "register this machine with a hub",
	Usage: "vigil agent enroll --server URL --token TOKEN [--state-dir DIR]",
	Long: "Registers this machine with the hub using an enrolment token (created by an officer\n" +
		"for a unit), sending its first inventory. The agent id and secret the hub returns\n" +
		"are saved in the state directory (identity.json, mode 0600).",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		server := fs.String("server", "-", "", "hub URL, e.g. https://vigil.example.org")
		token := fs.String("token", "-", "", "enrolment token")
		stateDir := stateDirFlag(fs)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return cli.UsageError("enroll takes no arguments")
			}
			if *server == "" || *token == "" {
				return cli.UsageError("--server and --token are required")
			}
			if !strings.HasPrefix(*server, "https://") && !strings.HasPrefix(*server, "http://") {
				return cli.UsageError("--server must be an http(s) URL, got %q", *server)
			}
			st, err := agent.OpenState(*stateDir)
			if err != nil {
				return err
			}
			cache := agent.LoadHashCache(filepath.Join(*stateDir, "hashes.json"))
			inv, err := (&agent.Collector{Version: version, Hashes: cache}).Collect(ctx)
			if err != nil {
				return err
			}
			_ = cache.Save(filepath.Join(*stateDir, "hashes.json"))
			id, err := agent.Enroll(ctx, st, &agent.Client{Server: *server, Version: version}, *token, inv)
			if err != nil {
				return err
			}
			fmt.Fprintf(fs.Stdout, "enrolled %s as agent %s with %s; identity saved in %s\n", id.Hostname, id.AgentID, id.Server, *stateDir)
			return nil
		}
	},
}

var agentRunCmd = &cli.Command{
	Name:  "run",
	Short: "report to the hub: heartbeat, inventory, tasks",
	Usage: "vigil agent run [--state-dir DIR]",
	Long: "Runs the agent until stopped: a heartbeat every minute, a full inventory at start\n" +
		"and every 6 hours and only the changes in between, and the scan tasks the hub sends.\n" +
		"Through hub outages, results wait on disk and requests are retried with exponential\n" +
		"backoff and jitter. Under systemd or the Windows service manager, use 'install'.",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		stateDir := stateDirFlag(fs)
		heartbeat := fs.Duration("heartbeat", "-", time.Minute, "heartbeat interval")
		invEvery := fs.Duration("inventory-interval", "-", 15*time.Minute, "how often to collect and send inventory changes")
		fullEvery := fs.Duration("full-inventory-interval", "-", 6*time.Hour, "how often to send a full inventory")
		logLevel := fs.String("log-level", "-", "info", "debug, info, warn or error")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return cli.UsageError("run takes no arguments")
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
				return cli.UsageError("--log-level: %v", err)
			}
			log := slog.New(slog.NewTextHandler(fs.Stderr, &slog.HandlerOptions{Level: lvl}))
			st, err := agent.OpenState(*stateDir)
			if err != nil {
				return err
			}
			id, err := st.LoadIdentity()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			r := &agent.Runner{
				State:          st,
				Client:         &agent.Client{Server: id.Server, AgentID: id.AgentID, Secret: id.Secret, Version: version},
				Log:            log,
				Heartbeat:      *heartbeat,
				InventoryEvery: *invEvery,
				FullEvery:      *fullEvery,
			}
			return agent.RunService(ctx, r.Run)
		}
	},
}

var agentStatusCmd = &cli.Command{
	Name:  "status",
	Short: "show this agent's enrolment, last inventory, queue and tasks",
	Usage: "vigil agent status [--state-dir DIR]",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		stateDir := stateDirFlag(fs)
		return func(ctx context.Context, args []string) error {
			if _, err := os.Stat(*stateDir); err != nil {
				return fmt.Errorf("%w (%v)", agent.ErrNotEnrolled, err)
			}
			st, err := agent.OpenState(*stateDir)
			if err != nil {
				return err
			}
			s, err := st.Status()
			if err != nil {
				return err
			}
			w := fs.Stdout
			fmt.Fprintf(w, "hub:            %s\nagent id:       %s\nhostname:       %s\nenrolled:       %s\n", s.Server, s.AgentID, s.Hostname, s.EnrolledAt.Format(time.RFC3339))
			if s.InventoryAt.IsZero() {
				fmt.Fprintln(w, "inventory:      none accepted yet")
			} else {
				fmt.Fprintf(w, "inventory:      accepted %s (hash %.12s), last full %s\n", s.InventoryAt.Format(time.RFC3339), s.InventoryHash, s.FullAt.Format(time.RFC3339))
			}
			fmt.Fprintf(w, "queued results: %d\npending tasks:  %d\nindicators:     %d", s.Queued, s.Tasks, s.Indicators)
			if !s.IndicatorsAt.IsZero() {
				fmt.Fprintf(w, " (fetched %s)", s.IndicatorsAt.Format(time.RFC3339))
			}
			fmt.Fprintln(w)
			return nil
		}
	},
}

var agentInstallCmd = &cli.Command{
	Name:  "install",
	Short: "install the agent as a system service (systemd, Windows service)",
	Usage: "vigil agent install [--state-dir DIR] [--no-start]",
	Long: "Installs 'vigil agent run' as a service that starts at boot: a systemd unit\n" +
		"(/etc/systemd/system/vigil-agent.service) on Linux, the VigilAgent service on\n" +
		"Windows. The service runs this binary from where it is now. Enroll first.",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		stateDir := stateDirFlag(fs)
		noStart := fs.Bool("no-start", "-", false, "install and enable without starting")
		printUnit := fs.Bool("print", "-", false, "print the systemd unit instead of installing it")
		return func(ctx context.Context, args []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			if exe, err = filepath.Abs(exe); err != nil {
				return err
			}
			abs, err := filepath.Abs(*stateDir)
			if err != nil {
				return err
			}
			cfg := agent.ServiceConfig{Executable: exe, StateDir: abs}
			if *printUnit {
				fmt.Fprint(fs.Stdout, agent.SystemdUnit(cfg))
				return nil
			}
			st, err := agent.OpenState(abs)
			if err != nil {
				return err
			}
			if _, err := st.LoadIdentity(); errors.Is(err, agent.ErrNotEnrolled) {
				return fmt.Errorf("%w; the service would have nothing to report to", err)
			}
			if err := agent.Install(ctx, cfg, !*noStart); err != nil {
				return err
			}
			fmt.Fprintf(fs.Stdout, "installed the %s service (%s agent run --state-dir %s)\n", agent.ServiceName, exe, abs)
			return nil
		}
	},
}

var agentUninstallCmd = &cli.Command{
	Name:  "uninstall",
	Short: "stop and remove the agent's system service",
	Usage: "vigil agent uninstall [--state-dir DIR] [--purge]",
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		stateDir := stateDirFlag(fs)
		purge := fs.Bool("purge", "-", false, "also delete the state directory (identity, queue)")
		return func(ctx context.Context, args []string) error {
			if err := agent.Uninstall(ctx, *stateDir, *purge); err != nil {
				return err
			}
			fmt.Fprintf(fs.Stdout, "removed the %s service\n", agent.ServiceName)
			return nil
		}
	},
}

func max1(s float64) float64 {
	if s <= 0 {
		return 1e-9
	}
	return s
}

func describeFinding(f scan.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FOUND %s %s:%s", f.Kind, f.Hit.Kind, f.Hit.Indicator)
	if f.Hit.Comment != "" {
		fmt.Fprintf(&b, " (%s)", f.Hit.Comment)
	}
	if f.Path != "" {
		fmt.Fprintf(&b, " path=%q", f.Path)
	}
	if f.PID != 0 {
		fmt.Fprintf(&b, " pid=%d process=%q", f.PID, f.Process)
	}
	if f.Remote != "" {
		fmt.Fprintf(&b, " remote=%s", f.Remote)
	}
	if f.Domain != "" {
		fmt.Fprintf(&b, " domain=%s", f.Domain)
	}
	return b.String()
}

// parseSize reads "100MB", "1.5GB", "4096", "64KiB".
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		mult   float64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return int64(v * mult), nil
}
