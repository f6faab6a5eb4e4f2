package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/cli"
	"vigil/internal/loadgen"
)

// lgEnv names a loadgen flag's environment variable (VIGIL_LOADGEN_*), so
// that --count does not read VIGIL_COUNT.
func lgEnv(name string) string { return cli.EnvName("loadgen-" + name) }

func init() {
	register(&cli.Command{
		Name:  "loadgen",
		Short: "generate load for the watch's benchmark (make bench)",
		Long: `The load generator of scripts/bench-ingest.sh: syslog over TCP at full speed
with marker events mixed in, events over HTTP counted as acknowledged, and the
alerts they make counted. Every run stops by itself after --count lines or
--duration. Results are printed as key=value pairs on one line.`,
		Subs: []*cli.Command{loadgenRule, loadgenIndicators, loadgenSetup, loadgenSyslog, loadgenEvents, loadgenAlerts},
	})
}

var loadgenRule = &cli.Command{
	Name:  "rules",
	Short: "write the Sigma rules the generated events match into a directory",
	Usage: "vigil loadgen rules DIR",
	Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
		if len(args) != 1 {
			return cli.UsageError("give the directory")
		}
		for name, text := range loadgen.Rules {
			if err := os.WriteFile(filepath.Join(args[0], name), []byte(text), 0o644); err != nil {
				return err
			}
		}
		return nil
	},
}

var loadgenIndicators = &cli.Command{
	Name:  "indicators",
	Short: "write N indicators as CSV (for the hub's --ioc)",
	Usage: "vigil loadgen indicators N > indicators.csv",
	Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
		if len(args) != 1 {
			return cli.UsageError("give the number of indicators")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 {
			return cli.UsageError("the number of indicators must be a whole number")
		}
		return loadgen.WriteIndicators(fs.Stdout, n)
	},
}

func hubFlags(fs *cli.FlagSet) (hubURL, token *string) {
	hubURL = fs.String("hub", lgEnv("hub"), "", "the hub, http://HOST:PORT")
	token = fs.String("token", lgEnv("token"), "", "API token of a user who reads alerts (vigil loadgen setup prints one)")
	return
}

var loadgenSetup = &cli.Command{
	Name:  "setup",
	Short: "sign in and register a source sending from this machine",
	Usage: "vigil loadgen setup --hub URL --email E --password P",
	Long: `Signs in, registers an event source of the root unit whose syslog comes
from 127.0.0.1 and ::1, and prints token=API-TOKEN source_token=SOURCE-TOKEN.`,
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		hubURL, _ := hubFlags(fs)
		email := fs.String("email", lgEnv("email"), "admin@vigil.local", "e-mail to sign in with")
		password := fs.String("password", lgEnv("password"), "", "password to sign in with")
		unit := fs.String("unit", lgEnv("unit"), "BHXHVN", "unit code of the source")
		return func(ctx context.Context, args []string) error {
			h := &loadgen.Hub{URL: *hubURL}
			if err := h.SignIn(ctx, *email, *password); err != nil {
				return err
			}
			st, err := h.CreateSource(ctx, *unit, "vigil loadgen "+time.Now().UTC().Format("20060102T150405.000"), []string{"127.0.0.1", "::1"})
			if err != nil {
				return err
			}
			fmt.Fprintf(fs.Stdout, "token=%s source_token=%s\n", h.Token, st)
			return nil
		}
	},
}

var loadgenSyslog = &cli.Command{
	Name:  "syslog",
	Short: "send syslog over TCP at full speed; time detection and alerts",
	Usage: "vigil loadgen syslog --to HOST:PORT (--count N | --duration D) [--hub URL --token T] [--wait-file PATH]",
	Long: `Sends syslog lines (web, mail, firewall, cron, sshd; RFC 3164 and 5424) over
--conns TCP connections as fast as the receiver takes them, until --count
lines or --duration; --rate paces them. Every --marker-every lines one is a marker that a rule
of 'vigil loadgen rules' matches, from a host of its own.

With --hub, it then waits until the hub's detection pipeline has consumed
every line (vigil_bus_consumed_records_total on /metrics) and prints
events_per_s, the lines over the time from the first sent to the last
consumed; and it polls GET /api/v1/alerts for each marker's alert, printing
the quantiles of the time from sending to the alert being visible.

With --wait-file (another receiver writing each line and a newline to a
file, as rsyslog with a template of %rawmsg%), it waits until the file holds
every line and prints events_per_s the same way.`,
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		hubURL, token := hubFlags(fs)
		to := fs.String("to", lgEnv("to"), "", "receiver address HOST:PORT")
		count := fs.Int("count", lgEnv("count"), 0, "lines to send")
		duration := fs.Duration("duration", lgEnv("duration"), 0, "longest time to send")
		conns := fs.Int("conns", lgEnv("conns"), 4, "parallel TCP connections")
		every := fs.Int("marker-every", lgEnv("marker-every"), 0, "one marker line every so many lines (0: none)")
		run := fs.String("run", lgEnv("run"), "", "name of the run in the markers' host names")
		rate := fs.Int("rate", lgEnv("rate"), 0, "lines per second over all connections (0: full speed)")
		octet := fs.Bool("octet", lgEnv("octet"), false, "octet-counting framing (RFC 6587) instead of newlines")
		waitFile := fs.String("wait-file", lgEnv("wait-file"), "", "file another receiver writes the lines to")
		timeout := fs.Duration("timeout", lgEnv("timeout"), 5*time.Minute, "longest wait for consumption, alerts or the file")
		return func(ctx context.Context, args []string) error {
			if *to == "" {
				return cli.UsageError("--to is required")
			}
			h := &loadgen.Hub{URL: *hubURL, Token: *token}
			var before float64
			if *hubURL != "" {
				var err error
				if before, err = h.Metric(ctx, "vigil_bus_consumed_records_total"); err != nil {
					return err
				}
			}
			wctx, cancel := context.WithTimeout(ctx, *timeout)
			defer cancel()
			var wg sync.WaitGroup
			var lat []time.Duration
			var missing int
			var latErr error
			var markers chan loadgen.Marker
			if *hubURL != "" && *every > 0 {
				markers = make(chan loadgen.Marker, 1<<16)
				wg.Add(1)
				go func() {
					defer wg.Done()
					lat, missing, latErr = h.MarkerLatencies(wctx, markers, 50*time.Millisecond)
				}()
			}
			start := time.Now()
			res, err := loadgen.SendSyslog(ctx, loadgen.Syslog{Addr: *to, Count: *count, Duration: *duration, Conns: *conns, MarkerEvery: *every, Run: *run, Octet: *octet, Rate: *rate, Markers: markers})
			if err != nil {
				return err
			}
			out := []string{fmt.Sprintf("lines=%d bytes=%d send_s=%.3f send_per_s=%.0f", res.Lines, res.Bytes, res.Elapsed.Seconds(), res.Rate())}
			switch {
			case *hubURL != "":
				var done time.Time
				for {
					v, err := h.Metric(wctx, "vigil_bus_consumed_records_total")
					if err == nil && v-before >= float64(res.Lines) {
						done = time.Now()
						break
					}
					if wctx.Err() != nil {
						out = append(out, fmt.Sprintf("consumed=%.0f timeout=1", v-before))
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if !done.IsZero() {
					out = append(out, fmt.Sprintf("consumed=%d events_per_s=%.0f", res.Lines, float64(res.Lines)/done.Sub(start).Seconds()))
				}
			case *waitFile != "":
				done, err := loadgen.WaitFileSize(wctx, *waitFile, res.Bytes+int64(res.Lines))
				if err != nil {
					return err
				}
				out = append(out, fmt.Sprintf("events_per_s=%.0f", float64(res.Lines)/done.Sub(start).Seconds()))
			}
			wg.Wait()
			if latErr != nil {
				return latErr
			}
			if len(res.Markers) > 0 && *hubURL != "" {
				out = append(out, fmt.Sprintf("markers=%d alerts_seen=%d missing=%d p50_ms=%d p99_ms=%d max_ms=%d", len(res.Markers), len(lat), missing,
					loadgen.Quantile(lat, .5).Milliseconds(), loadgen.Quantile(lat, .99).Milliseconds(), loadgen.Quantile(lat, 1).Milliseconds()))
			}
			fmt.Fprintln(fs.Stdout, strings.Join(out, " "))
			return nil
		}
	},
}

var loadgenEvents = &cli.Command{
	Name:  "events",
	Short: "post events over HTTP; count those acknowledged",
	Usage: "vigil loadgen events --hub URL --source-token T --count N [--acked FILE]",
	Long: `Posts --count journald-shaped JSON events, each from a host of its own
(kill-RUN-N) and matched by the marker rule, in batches to POST /api/v1/events
until all are sent or a request fails (a hub killed on purpose). Prints
acked=N, the events the hub answered 202 for; --acked FILE gets the running
total after each acknowledged batch.`,
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		hubURL, _ := hubFlags(fs)
		sourceToken := fs.String("source-token", lgEnv("source-token"), "", "the source's token")
		count := fs.Int("count", lgEnv("count"), 100000, "events to send")
		batch := fs.Int("batch", lgEnv("batch"), 500, "events per request")
		posters := fs.Int("posters", lgEnv("posters"), 4, "parallel requests")
		run := fs.String("run", lgEnv("run"), "k", "name of the run in the events' host names")
		ackedFile := fs.String("acked", lgEnv("acked"), "", "file to keep the acknowledged total in")
		return func(ctx context.Context, args []string) error {
			h := &loadgen.Hub{URL: *hubURL}
			var mu sync.Mutex
			total := 0
			acked, err := h.PostEvents(ctx, loadgen.Events{SourceToken: *sourceToken, Count: *count, Batch: *batch, Posters: *posters, Run: *run,
				Acked: func(first, n int) {
					if *ackedFile == "" {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					total += n
					os.WriteFile(*ackedFile, fmt.Appendf(nil, "%d\n", total), 0o644)
				}})
			line := fmt.Sprintf("acked=%d", acked)
			if err != nil {
				line += fmt.Sprintf(" stopped=%q", err.Error())
			}
			fmt.Fprintln(fs.Stdout, line)
			return nil
		}
	},
}

var loadgenAlerts = &cli.Command{
	Name:  "alerts",
	Short: "count the alerts of the counted events' rule",
	Usage: "vigil loadgen alerts --hub URL --token T [--want N]",
	Long: `Counts the alerts of the rule the events of 'vigil loadgen events' match (one
per event), waiting (up to --timeout) until there are --want of them or the
count has not moved for --settle while the bus holds nothing pending. Prints
alerts=N.`,
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		hubURL, token := hubFlags(fs)
		want := fs.Int("want", lgEnv("want"), 0, "stop waiting once this many are there")
		settle := fs.Duration("settle", lgEnv("settle"), 5*time.Second, "stop waiting once the count is still this long")
		timeout := fs.Duration("timeout", lgEnv("timeout"), 5*time.Minute, "longest wait")
		return func(ctx context.Context, args []string) error {
			h := &loadgen.Hub{URL: *hubURL, Token: *token}
			ctx, cancel := context.WithTimeout(ctx, *timeout)
			defer cancel()
			last, since := -1, time.Now()
			for {
				n, err := h.Total(ctx, loadgen.CountRuleID)
				if err != nil {
					if ctx.Err() != nil {
						fmt.Fprintf(fs.Stdout, "alerts=%d timeout=1\n", last)
						return nil
					}
					return err
				}
				if n != last {
					last, since = n, time.Now()
				}
				pending, _ := h.Metric(ctx, "vigil_bus_pending_records")
				if (*want > 0 && n >= *want) || (pending == 0 && time.Since(since) >= *settle) {
					fmt.Fprintf(fs.Stdout, "alerts=%d\n", n)
					return nil
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	},
}
