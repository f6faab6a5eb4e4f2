package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"vigil/internal/cli"
	"vigil/internal/detect/hunt"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/sigma"
	"vigil/internal/export"
)

// detectFlags holds the flag values between the Flags and Run closures.
type detectFlags struct {
	rules, iocs                            *cli.StringList
	minLevel, format, status, placeholders *string
	workers                                *int
	progress, showRefused                  *bool
}

func init() {
	var df detectFlags
	register(&cli.Command{
		Name:  "detect",
		Short: "hunt Sigma rules and indicators over log files",
		Usage: "vigil detect [--rules DIR|FILE]... [--ioc FILE]... [--min-level LEVEL] [--format table|jsonl|csv] INPUT...",
		Long: `Hunt over log files and directories (EVTX, Windows events as JSON, JSON
lines, syslog, CEF/LEEF, .gz) with Sigma rules and indicator lists, on all
cores. Prints one record per match; a summary goes to stderr.

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
	if len(args) == 0 {
		return cli.UsageError("no input: give log files or directories to hunt over")
	}
	if len(rulePaths) == 0 && len(iocPaths) == 0 {
		return cli.UsageError("no rules: give --rules DIR|FILE (or set VIGIL_RULES) and/or --ioc FILE (or VIGIL_IOC); e.g. --rules ../shared/data/sigma/rules/windows")
	}
	switch format {
	case "table", "jsonl", "csv":
	default:
		return cli.UsageError("--format %q: want table, jsonl or csv", format)
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
	out := newMatchWriter(fs.Stdout, format)
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
	printSummary(stderr, sum, cfg, read, loaded, refused, skipped, refusedWhy)
	if len(sum.Failed) > 0 {
		return &cli.ExitError{Code: 1}
	}
	return nil
}

// matchWriter prints records in one of the output formats.
type matchWriter struct {
	format string
	w      io.Writer
	enc    *json.Encoder
	csv    *export.CSVWriter
	tab    *tabwriter.Writer
	n      int
}

func newMatchWriter(w io.Writer, format string) *matchWriter {
	m := &matchWriter{format: format, w: w}
	switch format {
	case "jsonl":
		m.enc = json.NewEncoder(w)
		m.enc.SetEscapeHTML(false)
	case "csv":
		m.csv = export.NewCSV(w)
		m.csv.Write([]string{"timestamp", "rule_id", "title", "level", "tags", "host", "fields", "source", "record"})
	default:
		m.tab = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(m.tab, "TIME (UTC)\tLEVEL\tTITLE\tHOST\tSOURCE:RECORD\tMATCHED")
	}
	return m
}

type jsonRecord struct {
	Timestamp string            `json:"timestamp"`
	RuleID    string            `json:"rule_id"`
	Title     string            `json:"title"`
	Level     string            `json:"level"`
	Tags      []string          `json:"tags"`
	Host      string            `json:"host"`
	Fields    map[string]string `json:"fields"`
	Source    string            `json:"source"`
	Record    uint64            `json:"record"`
	Channel   string            `json:"channel,omitempty"`
	EventID   string            `json:"event_id,omitempty"`
	Indicator string            `json:"indicator,omitempty"`
	Damaged   string            `json:"damaged,omitempty"`
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fieldText(r *hunt.Record) string {
	parts := make([]string, 0, len(r.Fields))
	for _, f := range r.Fields {
		v := f.Value
		if len(v) > 200 {
			v = v[:200] + "..."
		}
		parts = append(parts, f.Name+"="+v)
	}
	return strings.Join(parts, "; ")
}

func (m *matchWriter) write(r *hunt.Record) error {
	m.n++
	switch m.format {
	case "jsonl":
		fields := make(map[string]string, len(r.Fields))
		for _, f := range r.Fields {
			fields[f.Name] = f.Value
		}
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		return m.enc.Encode(jsonRecord{timestamp(r.Time), r.RuleID, r.Title, r.Level, tags, r.Host, fields, r.Source, r.Record, r.Channel, r.EventID, r.Indicator, r.Damage})
	case "csv":
		return m.csv.Write([]string{timestamp(r.Time), r.RuleID, r.Title, r.Level, strings.Join(r.Tags, " "), r.Host, fieldText(r), r.Source, fmt.Sprint(r.Record)})
	}
	t := ""
	if !r.Time.IsZero() {
		t = r.Time.UTC().Format("2006-01-02 15:04:05")
	}
	matched := fieldText(r)
	if len(matched) > 120 {
		matched = matched[:120] + "..."
	}
	_, err := fmt.Fprintf(m.tab, "%s\t%s\t%s\t%s\t%s:%d\t%s\n", t, r.Level, r.Title, r.Host, filepath.Base(r.Source), r.Record, strings.ReplaceAll(matched, "\t", " "))
	return err
}

func (m *matchWriter) flush() error {
	switch m.format {
	case "csv":
		return m.csv.Flush()
	case "table":
		if m.n == 0 {
			return nil
		}
		return m.tab.Flush()
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

func printSummary(w io.Writer, sum *hunt.Summary, cfg hunt.Config, read, loaded, refused, skipped int, refusedWhy string) {
	rate := 0.0
	if sum.Elapsed > 0 {
		rate = float64(sum.Events) / sum.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "\nsummary: %d events from %d files in %s (%.0f events/s)\n", sum.Events, read, sum.Elapsed.Round(time.Millisecond), rate)
	if cfg.Rules != nil {
		corr := ""
		if n := len(cfg.Rules.Correlations()); n > 0 {
			corr = fmt.Sprintf(" (and %d correlation rules)", n)
		}
		why := ""
		if refusedWhy != "" {
			why = " (" + refusedWhy + ")"
		}
		fmt.Fprintf(w, "rules: %d loaded%s, %d refused%s, %d skipped by level/status\n", loaded, corr, refused, why, skipped)
	}
	if cfg.IOC != nil {
		fmt.Fprintf(w, "indicators: %d loaded\n", cfg.IOC.Load().Len())
	}
	var total int64
	var levels []string
	for _, l := range []string{"critical", "high", "medium", "low", "informational", "unknown"} {
		if n := sum.Matches[l]; n > 0 {
			levels = append(levels, fmt.Sprintf("%s %d", l, n))
			total += n
		}
	}
	if total == 0 {
		fmt.Fprintln(w, "matches: none")
	} else {
		fmt.Fprintf(w, "matches: %d (%s)\n", total, strings.Join(levels, ", "))
	}
	if sum.Skipped > 0 || sum.CorruptChunks > 0 {
		fmt.Fprintf(w, "lost: %d records (corrupt or missing), %d EVTX chunks skipped whole\n", sum.Skipped, sum.CorruptChunks)
		for _, e := range sum.ReadErrors {
			fmt.Fprintf(w, "  %v\n", e)
		}
	}
	if sum.DamagedParts > 0 {
		fmt.Fprintf(w, "damaged: %d part(s) read despite a failed checksum; matches from them are marked \"damaged\"\n", sum.DamagedParts)
		for _, e := range sum.Damaged {
			fmt.Fprintf(w, "  %v\n", e)
		}
		if n := sum.DamagedParts - int64(len(sum.Damaged)); n > 0 {
			fmt.Fprintf(w, "  ... and %d more\n", n)
		}
	}
	for _, f := range sum.PerFile {
		switch f.Status {
		case hunt.FileEmpty:
			fmt.Fprintf(w, "no events: %s (%s)\n", f.Path, f.Note)
		case hunt.FileSkipped:
			fmt.Fprintf(w, "skipped: %s: %s\n", f.Path, f.Note)
		}
	}
	for _, f := range sum.Failed {
		fmt.Fprintf(w, "unreadable: %v\n", f)
	}
	// When little matched, say what was read and what could apply, so
	// "clean" can be told from "wrong log".
	if total < 5 || sum.Events > 0 && total*1000 < sum.Events {
		if len(sum.Sources) == 0 {
			fmt.Fprintln(w, "events by source: none read")
			return
		}
		fmt.Fprintln(w, "events by source (rules that apply):")
		srcs := sum.Sources
		sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].Events > srcs[j].Events })
		for i, s := range srcs {
			if i == 25 {
				fmt.Fprintf(w, "  ... %d more sources\n", len(srcs)-i)
				break
			}
			note := ""
			if s.Applicable == 0 && cfg.Rules != nil {
				note = "  <- no loaded rule applies"
			}
			fmt.Fprintf(w, "  %8d  %-60s %5d rules, %d matches%s\n", s.Events, s.Name, s.Applicable, s.Matches, note)
		}
	}
}
