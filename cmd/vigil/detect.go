package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"vigil/internal/cli"
	"vigil/internal/detect/hunt"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/sigma"
)

// detectFlags holds the flag values between the Flags and Run closures.
type detectFlags struct {
	rules, iocs                            *cli.StringList
	minLevel, format, status, placeholders *string
	sort, tz, explain                      *string
	workers                                *int
	progress, showRefused                  *bool
}

func init() {
	var df detectFlags
	register(&cli.Command{
		Name:  "detect",
		Short: "hunt Sigma rules and indicators over log files",
		Usage: "vigil detect [--rules DIR|FILE]... [--ioc FILE]... [--min-level LEVEL] [--format table|jsonl|csv] [--sort time|level|file] [--tz ZONE] INPUT...\n       vigil detect --rules DIR|FILE... --explain RULE-ID",
		Long: `Hunt over log files and directories (EVTX, Windows events as JSON, JSON
lines, syslog, CEF/LEEF, .gz) with Sigma rules and indicator lists, on all
cores. Prints one record per match (the table sorted by time, in UTC unless
--tz names a zone); a summary per rule and per file goes to stderr.
--explain RULE-ID prints how a loaded rule was compiled and exits.

Rules come from --rules (repeatable; files or directories of .yml) or
VIGIL_RULES (paths separated by commas); indicators from --ioc (repeatable;
CSV "type,value[,comment]" or a STIX 2.x bundle) or VIGIL_IOC. At least one of
the two is required.

Exit status: 0 when the hunt completed (matches or not), 1 when an input
could not be read at all, 2 for usage errors. See docs/detect.md.`,
		Flags: func(fs *cli.FlagSet) {
			df.rules = fs.Strings("rules", "Sigma rule file or directory (repeatable; env: comma-separated)")
			df.iocs = fs.Strings("ioc", "indicator file, CSV or STIX 2.x (repeatable; env: comma-separated)")
			df.minLevel = fs.String("min-level", "-", "informational", "lowest rule level to load and report: informational, low, medium, high, critical")
			df.format = fs.String("format", "-", "table", "output format: table, jsonl or csv")
			df.status = fs.String("status", "-", "", "rule statuses to load, comma-separated (default: all but deprecated and unsupported)")
			df.placeholders = fs.String("placeholders", "-", "", "YAML file of Sigma placeholder values (name: [values]) for the expand modifier")
			df.workers = fs.Int("workers", "-", 0, "files read in parallel (default: one per core)")
			df.progress = fs.Bool("progress", "-", true, "show a progress bar when stderr is a terminal")
			df.showRefused = fs.Bool("show-refused", "-", false, "list every rule that failed to load, with the reason")
			df.sort = fs.String("sort", "-", "", "order of matches: time, level (highest first, then time) or file (input order, as found); default time for the table, file for jsonl and csv")
			df.tz = fs.String("tz", "-", "UTC", "time zone of the times shown: UTC, Local, an IANA name (Asia/Ho_Chi_Minh) or an offset (+07:00)")
			df.explain = fs.String("explain", "-", "", "print how the rule with this id (or unique id prefix) was compiled, and exit")
		},
		Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
			return runDetect(ctx, fs, &df, args)
		},
	})
}

func runDetect(ctx context.Context, fs *cli.FlagSet, df *detectFlags, args []string) error {
	rulePaths, iocPaths := *df.rules, *df.iocs
	format := strings.ToLower(*df.format)
	minLevelName := *df.minLevel
	explain := strings.TrimSpace(*df.explain)
	if len(args) == 0 && explain == "" {
		return cli.UsageError("no input: give log files or directories to hunt over")
	}
	if explain != "" && len(rulePaths) == 0 {
		return cli.UsageError("--explain needs the rules: give --rules DIR|FILE")
	}
	if len(rulePaths) == 0 && len(iocPaths) == 0 {
		return cli.UsageError("no rules: give --rules DIR|FILE (or set VIGIL_RULES) and/or --ioc FILE (or VIGIL_IOC); e.g. --rules ../shared/data/sigma/rules/windows")
	}
	switch format {
	case "table", "jsonl", "csv":
	default:
		return cli.UsageError("--format %q: want table, jsonl or csv", format)
	}
	sortBy := strings.ToLower(*df.sort)
	switch sortBy {
	case "":
		sortBy = "file"
		if format == "table" {
			sortBy = "time"
		}
	case "time", "level", "file":
	default:
		return cli.UsageError("--sort %q: want time, level or file", *df.sort)
	}
	loc, err := parseZone(*df.tz)
	if err != nil {
		return cli.UsageError("--tz %q: %v", *df.tz, err)
	}
	minLevel, ok := sigma.ParseLevel(minLevelName)
	if !ok {
		return cli.UsageError("--min-level %q: want informational, low, medium, high or critical", minLevelName)
	}
	var statuses []string
	if s := *df.status; s != "" {
		for _, x := range strings.Split(s, ",") {
			statuses = append(statuses, strings.TrimSpace(x))
		}
	}
	stderr := fs.Stderr
	cfg := hunt.Config{MinLevel: minLevel, Workers: *df.workers}

	var loaded, refused, skipped int
	var refusedWhy string
	if len(rulePaths) > 0 {
		opts := sigma.Options{}
		if p := *df.placeholders; p != "" {
			ph, err := sigma.LoadPlaceholders(p)
			if err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			opts.Placeholders = ph
		}
		res, err := sigma.Load(rulePaths, sigma.Filter{MinLevel: minLevel, Statuses: statuses}, opts)
		if err != nil {
			return &cli.ExitError{Code: 1, Err: err}
		}
		cfg.Rules = res.Rules
		loaded, refused, skipped = res.Rules.Len(), len(res.Refused), res.Skipped
		for i, w := range res.Rules.Warnings {
			if i >= 5 && !*df.showRefused {
				fmt.Fprintf(stderr, "rules: ... and %d more with an unknown log source\n", len(res.Rules.Warnings)-i)
				break
			}
			fmt.Fprintf(stderr, "rules: note %v\n", w)
		}
		showAll := *df.showRefused
		for i, e := range res.Refused {
			if i >= 10 && !showAll {
				fmt.Fprintf(stderr, "rules: ... and %d more refused (--show-refused lists all)\n", len(res.Refused)-i)
				break
			}
			fmt.Fprintf(stderr, "rules: refused %v\n", e)
		}
		refusedWhy = refusalReasons(res.Refused)
		if names := missingPlaceholders(res.Refused); len(names) > 0 {
			fmt.Fprintf(stderr, "rules: placeholders without values: %s; give them with --placeholders FILE.yml (name: [values])\n", strings.Join(names, ", "))
		}
		if explain != "" {
			return explainRule(fs.Stdout, res, explain)
		}
	}
	if len(iocPaths) > 0 {
		b := ioc.NewBuilder()
		for _, p := range iocPaths {
			st, err := b.AddFile(p)
			if err != nil {
				return &cli.ExitError{Code: 1, Err: err}
			}
			for _, e := range st.Errors {
				fmt.Fprintf(stderr, "ioc: %v\n", e)
			}
			if st.Bad > len(st.Errors) {
				fmt.Fprintf(stderr, "ioc: %s: ... %d bad rows in all\n", p, st.Bad)
			}
		}
		cfg.IOC = &ioc.Live{}
		cfg.IOC.Replace(b.Build())
	}

	files, inErrs := hunt.Inputs(args)
	out := newMatchWriter(fs.Stdout, outputOptions{format: format, sort: sortBy, loc: loc})
	var progress func(hunt.Progress)
	bar := &progressBar{w: stderr, start: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && *df.progress {
		progress = bar.draw
	}
	sum, err := hunt.Run(ctx, cfg, files, out.write, progress)
	bar.clear()
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return &cli.ExitError{Code: 1, Err: err}
	}
	read := 0
	for _, f := range sum.PerFile {
		if f.Status == hunt.FileRead || f.Status == hunt.FileEmpty {
			read++
		}
	}
	sum.Failed = append(sum.Failed, inErrs...)
	printSummary(stderr, sum, cfg, read, loaded, refused, skipped, refusedWhy, out.rules, loc)
	if len(sum.Failed) > 0 {
		return &cli.ExitError{Code: 1}
	}
	return nil
}

// progressBar draws one line on a terminal, redrawn in place.
type progressBar struct {
	w     io.Writer
	drawn bool
	start time.Time
}

func (p *progressBar) draw(pr hunt.Progress) {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	frac := 0.0
	if pr.Bytes > 0 {
		frac = float64(pr.BytesDone) / float64(pr.Bytes)
	} else if pr.Files > 0 {
		frac = float64(pr.FilesDone) / float64(pr.Files)
	}
	const width = 30
	n := int(frac * width)
	rate := float64(pr.Events) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d/%d files  %d events  %.0f events/s ", strings.Repeat("=", n), strings.Repeat(" ", width-n), 100*frac, pr.FilesDone, pr.Files, pr.Events, rate)
	p.drawn = true
}

func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 100))
	}
}

// refusalReasons counts refusals by reason, most first:
// "placeholder without a value 23, unsupported modifier 1".
func refusalReasons(errs []*sigma.RuleError) string {
	counts := map[string]int{}
	for _, e := range errs {
		counts[sigma.Reason(e)]++
	}
	reasons := make([]string, 0, len(counts))
	for r := range counts {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if counts[reasons[i]] != counts[reasons[j]] {
			return counts[reasons[i]] > counts[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, counts[r])
	}
	return strings.Join(parts, ", ")
}

// missingPlaceholders lists, once each and sorted, the placeholders that
// refused rules wanted values for.
func missingPlaceholders(errs []*sigma.RuleError) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range errs {
		var pe *sigma.PlaceholderError
		if errors.As(e, &pe) {
			for _, n := range pe.Names {
				if !seen[n] {
					seen[n] = true
					out = append(out, "%"+n+"%")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// parseZone reads --tz: UTC, Local, an IANA zone name or a fixed offset
// (+07:00, -0530, +7).
func parseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "utc", "z":
		return time.UTC, nil
	case "local":
		return time.Local, nil
	}
	if s[0] == '+' || s[0] == '-' {
		for _, layout := range []string{"-07:00", "-0700", "-07"} {
			if t, err := time.Parse(layout, s); err == nil {
				_, off := t.Zone()
				return time.FixedZone(s, off), nil
			}
		}
		if h, err := strconv.Atoi(s[1:]); err == nil && h <= 14 {
			off := h * 3600
			if s[0] == '-' {
				off = -off
			}
			return time.FixedZone(s, off), nil
		}
		return nil, errors.New("want an offset such as +07:00")
	}
	return time.LoadLocation(s)
}

// explainRule prints the compiled form of the rule with id (or a unique
// id prefix), or says why it cannot.
func explainRule(w io.Writer, res *sigma.LoadResult, id string) error {
	c, matches := res.Rules.Find(id)
	if c != nil {
		_, err := io.WriteString(w, res.Rules.Describe(c))
		return err
	}
	if len(matches) > 1 {
		var ids []string
		for _, m := range matches {
			ids = append(ids, m.ID+" "+m.Title)
		}
		return &cli.ExitError{Code: 2, Err: fmt.Errorf("--explain %s: %d rules have ids starting so:\n  %s", id, len(matches), strings.Join(ids, "\n  "))}
	}
	for _, e := range res.Refused {
		if strings.EqualFold(e.ID, id) {
			return &cli.ExitError{Code: 1, Err: fmt.Errorf("--explain %s: the rule was refused: %v", id, e)}
		}
	}
	return &cli.ExitError{Code: 1, Err: fmt.Errorf("--explain %s: no loaded rule has this id", id)}
}
