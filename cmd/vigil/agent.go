package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent"
	"vigil/internal/agent/scan"
	"vigil/internal/cli"
)

func init() {
	register(&cli.Command{
		Name:  "agent",
		Short: "the endpoint agent: collect, enroll, run, scan, install, uninstall",
		Long: "The endpoint agent. 'collect' prints this machine's inventory; 'enroll' registers it\n" +
			"with a hub; 'run' reports to the hub; 'scan' looks for known-bad files, processes\n" +
			"and connections; 'install' and 'uninstall' manage the system service.",
		Subs: []*cli.Command{agentCollectCmd, agentScanCmd},
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
	Flags: func(fs *cli.FlagSet) {
		fs.String("state-dir", "VIGIL_AGENT_STATE_DIR", agent.DefaultStateDir(), "agent state directory (hash cache)")
		fs.Bool("pretty", "", false, "indent the JSON")
		fs.Bool("no-hash", "", false, "do not hash process executables")
	},
	Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
		if len(args) > 0 {
			return cli.UsageError("collect takes no arguments")
		}
		stateDir := fs.Lookup("state-dir").Value.String()
		col := &agent.Collector{Version: version}
		cacheFile := filepath.Join(stateDir, "hashes.json")
		if fs.Lookup("no-hash").Value.String() != "true" {
			col.Hashes = agent.LoadHashCache(cacheFile)
		}
		inv, err := col.Collect(ctx)
		if err != nil {
			return err
		}
		if col.Hashes != nil {
			_ = col.Hashes.Save(cacheFile) // best effort: the directory may not exist yet
		}
		enc := json.NewEncoder(fs.Stdout)
		if fs.Lookup("pretty").Value.String() == "true" {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(inv)
	},
}

var agentScanCmd = &cli.Command{
	Name:  "scan",
	Short: "hash files and check processes and connections against indicators",
	Usage: "vigil agent scan --paths DIR [--paths DIR ...] [DIR ...] [--ioc FILE] [--max-size 100MB]",
	Long: "Walks the given trees (regular files only; symbolic links are not followed; /proc,\n" +
		"/sys and other pseudo filesystems are skipped), hashes each file with SHA-256 and\n" +
		"matches the digests against the indicators, then checks the executables of running\n" +
		"processes and the remote addresses of open connections. --ioc reads a CSV file of\n" +
		"type,value[,comment] (types sha256, ip, cidr, domain); without it, nothing matches\n" +
		"and the scan only counts. Exit status 0: no findings; 3: findings; 1: error.",
	Flags: func(fs *cli.FlagSet) {
		fs.Strings("paths", "directory or file to scan (repeatable, or comma-separated)")
		fs.Strings("ioc", "indicator file, CSV type,value[,comment] (repeatable)")
		fs.String("max-size", "", "100MB", "skip files larger than this (B, KB, MB, GB; 0 for no limit)")
		fs.Int("workers", "", 0, "hashing workers (default GOMAXPROCS)")
		fs.Bool("json", "", false, "print the whole report as JSON")
		fs.Bool("no-live", "", false, "skip the process and connection checks")
	},
	Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
		var paths []string
		for _, p := range append(*fs.Lookup("paths").Value.(*cli.StringList), args...) {
			for _, q := range strings.Split(p, ",") {
				if q != "" {
					paths = append(paths, q)
				}
			}
		}
		live := fs.Lookup("no-live").Value.String() != "true"
		if len(paths) == 0 && !live {
			return cli.UsageError("nothing to scan: give --paths or drop --no-live")
		}
		max, err := parseSize(fs.Lookup("max-size").Value.String())
		if err != nil {
			return cli.UsageError("--max-size: %v", err)
		}
		set := scan.NewSet()
		for _, f := range *fs.Lookup("ioc").Value.(*cli.StringList) {
			fh, err := os.Open(f)
			if err != nil {
				return err
			}
			err = set.ReadCSV(fh, f)
			fh.Close()
			if err != nil {
				return err
			}
		}
		set.Freeze()
		workers, _ := strconv.Atoi(fs.Lookup("workers").Value.String())
		opts := agent.ScanOptions{
			Options:         scan.Options{Paths: paths, MaxSize: max, Workers: workers, Matcher: set},
			SkipProcesses:   !live,
			SkipConnections: !live,
		}
		rep, err := agent.Review(ctx, opts)
		if err != nil {
			return err
		}
		if fs.Lookup("json").Value.String() == "true" {
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
		h, ips, doms := set.Counts()
		secs := rep.FinishedAt.Sub(rep.StartedAt).Seconds()
		fmt.Fprintf(fs.Stderr, "scanned %d files, %.1f MB in %.2fs (%.0f MB/s); skipped %d too large, %d special, %d unreadable; %d processes, %d connections; indicators: %d hashes, %d addresses, %d domains; %d findings\n",
			rep.Files, float64(rep.Bytes)/1e6, secs, float64(rep.Bytes)/1e6/max1(secs), rep.TooLarge, rep.Special, rep.Unreadable,
			rep.Processes, rep.Connections, h, ips, doms, len(rep.Findings))
		if len(rep.Findings) > 0 {
			return &cli.ExitError{Code: 3}
		}
		return nil
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
	fmt.Fprintf(&b, "FOUND %s %s:%s", f.Kind, f.Indicator.Type, f.Indicator.Value)
	if f.Indicator.Comment != "" {
		fmt.Fprintf(&b, " (%s)", f.Indicator.Comment)
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

var _ = time.Second
