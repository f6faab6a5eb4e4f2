package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // --tz Asia/Ho_Chi_Minh on hosts without zoneinfo (Windows)
	"unicode/utf8"

	"vigil/internal/detect"
	"vigil/internal/detect/hunt"
	"vigil/internal/export"
)

// outputOptions say how matches are printed.
type outputOptions struct {
	format string         // table, jsonl, csv
	sort   string         // time, level, file (input order, streamed)
	loc    *time.Location // times are shown in this zone
}

// matchWriter prints records in one of the output formats, sorted or as
// they come, and tallies them per rule for the summary.
type matchWriter struct {
	opts  outputOptions
	w     *bufio.Writer
	enc   *json.Encoder
	csv   *export.CSVWriter
	held  []*hunt.Record // kept for sorting
	rules *ruleTally
	n     int
}

// csvColumns are the JSONL record's keys, in its order: CSV keeps every
// column.
var csvColumns = []string{"timestamp", "rule_id", "title", "level", "tags", "host", "fields", "source", "record",
	"channel", "event_id", "indicator", "damaged", "details", "description", "references", "falsepositives"}

func newMatchWriter(w io.Writer, opts outputOptions) *matchWriter {
	m := &matchWriter{opts: opts, w: bufio.NewWriterSize(w, 64<<10), rules: newRuleTally()}
	switch opts.format {
	case "jsonl":
		m.enc = json.NewEncoder(m.w)
		m.enc.SetEscapeHTML(false)
	case "csv":
		m.csv = export.NewCSV(m.w)
		m.csv.Write(csvColumns)
	}
	return m
}

// jsonRecord is one match in JSONL. Fields holds the values the rule
// tested; Details the event's fields an analyst reads first.
type jsonRecord struct {
	Timestamp      string            `json:"timestamp"`
	RuleID         string            `json:"rule_id"`
	Title          string            `json:"title"`
	Level          string            `json:"level"`
	Tags           []string          `json:"tags"`
	Host           string            `json:"host"`
	Fields         map[string]string `json:"fields"`
	Source         string            `json:"source"`
	Record         uint64            `json:"record"`
	Channel        string            `json:"channel,omitempty"`
	EventID        string            `json:"event_id,omitempty"`
	Indicator      string            `json:"indicator,omitempty"`
	Damaged        string            `json:"damaged,omitempty"`
	Details        map[string]string `json:"details,omitempty"`
	Description    string            `json:"description,omitempty"`
	References     []string          `json:"references,omitempty"`
	FalsePositives []string          `json:"falsepositives,omitempty"`
}

func (m *matchWriter) timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.opts.loc).Format(time.RFC3339Nano)
}

func fieldMap(fs []detect.Field) map[string]string {
	if len(fs) == 0 {
		return nil
	}
	out := make(map[string]string, len(fs))
	for _, f := range fs {
		out[f.Name] = f.Value
	}
	return out
}

// fieldText joins fields as "name=value; name=value", each value on one
// line and cut to max runes (0: whole).
func fieldText(fs []detect.Field, max int) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		v := oneLine(f.Value)
		if max > 0 {
			v = cut(v, max)
		}
		parts = append(parts, f.Name+"="+v)
	}
	return strings.Join(parts, "; ")
}

func (m *matchWriter) write(r *hunt.Record) error {
	m.rules.add(r)
	if m.opts.sort != "file" {
		c := *r
		m.held = append(m.held, &c)
		return nil
	}
	return m.emit(r)
}

func (m *matchWriter) emit(r *hunt.Record) error {
	m.n++
	var desc string
	var refs, fps []string
	if r.Rule != nil {
		desc, refs, fps = strings.TrimSpace(r.Rule.Description), r.Rule.References, r.Rule.FalsePositives
	}
	switch m.opts.format {
	case "jsonl":
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		fields := fieldMap(r.Fields)
		if fields == nil {
			fields = map[string]string{}
		}
		return m.enc.Encode(jsonRecord{m.timestamp(r.Time), r.RuleID, r.Title, r.Level, tags, r.Host, fields, r.Source, r.Record,
			r.Channel, r.EventID, r.Indicator, r.Damage, fieldMap(r.Details), desc, refs, fps})
	case "csv":
		return m.csv.Write([]string{m.timestamp(r.Time), r.RuleID, r.Title, r.Level, strings.Join(r.Tags, " "), r.Host,
			fieldText(r.Fields, 0), r.Source, strconv.FormatUint(r.Record, 10), r.Channel, r.EventID, r.Indicator, r.Damage,
			fieldText(r.Details, 0), desc, strings.Join(refs, " "), strings.Join(fps, "; ")})
	}
	if m.n == 1 {
		m.tableHeader()
	}
	return m.tableLine(r)
}

// Table columns: fixed widths, so lines line up whatever the values and
// however many matches there are.
const (
	wTime   = 19
	wLevel  = 5 // "high!" marks a damaged chunk's event
	wRule   = 8
	wTitle  = 40
	wHost   = 22
	wAttack = 16
	wSource = 30
	wDetail = 160
)

func (m *matchWriter) tableHeader() {
	zone := "UTC"
	if m.opts.loc != time.UTC {
		_, off := time.Now().In(m.opts.loc).Zone()
		zone = time.Unix(0, 0).In(time.FixedZone("", off)).Format("-07:00")
	}
	cols := []string{pad("TIME ("+zone+")", wTime), pad("LEVEL", wLevel), pad("RULE", wRule), pad("TITLE", wTitle),
		pad("HOST", wHost), pad("ATT&CK", wAttack), pad("SOURCE:RECORD", wSource), "DETAILS"}
	fmt.Fprintln(m.w, strings.Join(cols, "  "))
}

func (m *matchWriter) tableLine(r *hunt.Record) error {
	t := ""
	if !r.Time.IsZero() {
		t = r.Time.In(m.opts.loc).Format("2006-01-02 15:04:05")
	}
	level := shortLevel(r.Level)
	if r.Damage != "" {
		level += "!"
	}
	details := r.Details
	if len(details) == 0 {
		details = r.Fields
	}
	cols := []string{pad(t, wTime), pad(level, wLevel), pad(shortID(r.RuleID), wRule), pad(cut(oneLine(r.Title), wTitle), wTitle),
		pad(cut(r.Host, wHost), wHost), pad(cut(attackIDs(r.Tags), wAttack), wAttack),
		pad(cutLeft(filepath.Base(r.Source)+":"+strconv.FormatUint(r.Record, 10), wSource), wSource),
		cut(fieldText(details, 80), wDetail)}
	_, err := fmt.Fprintln(m.w, strings.TrimRight(strings.Join(cols, "  "), " "))
	return err
}

// shortID is the first 8 characters of a rule id (a UUID's first group,
// which --explain accepts), or an indicator kind cut to fit.
func shortID(id string) string {
	if len(id) > wRule && strings.Count(id, "-") == 4 {
		return id[:wRule]
	}
	return cut(id, wRule)
}

func shortLevel(l string) string {
	switch l {
	case "critical":
		return "crit"
	case "medium":
		return "med"
	case "informational":
		return "info"
	}
	return l
}

// attackIDs picks ATT&CK technique ids (T1059.001) from Sigma tags,
// falling back to tactic names when a rule names no technique.
func attackIDs(tags []string) string {
	var ids, tactics []string
	for _, t := range tags {
		t = strings.ToLower(t)
		rest, ok := strings.CutPrefix(t, "attack.")
		if !ok {
			continue
		}
		if len(rest) > 1 && rest[0] == 't' && rest[1] >= '0' && rest[1] <= '9' {
			ids = append(ids, strings.ToUpper(rest))
		} else if len(rest) > 1 && rest[0] == 's' || len(rest) > 1 && rest[0] == 'g' {
			continue // software and groups
		} else {
			tactics = append(tactics, rest)
		}
	}
	if len(ids) == 0 {
		ids = tactics
	}
	return strings.Join(ids, ",")
}

// oneLine puts a value on one line: line breaks and tabs become spaces,
// runs of spaces one space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") && !strings.Contains(s, "  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// cut shortens s to n runes, ending with an ellipsis when it was longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}

// cutLeft keeps the end of s (a record number matters more than the
// start of a long file name).
func cutLeft(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// pad fills s with spaces to n runes.
func pad(s string, n int) string {
	if c := utf8.RuneCountInString(s); c < n {
		return s + strings.Repeat(" ", n-c)
	}
	return s
}

var levelRank = map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "informational": 1}

func (m *matchWriter) flush() error {
	switch m.opts.sort {
	case "time":
		slices.SortStableFunc(m.held, func(a, b *hunt.Record) int { return compareTime(a.Time, b.Time) })
	case "level":
		slices.SortStableFunc(m.held, func(a, b *hunt.Record) int {
			if d := levelRank[b.Level] - levelRank[a.Level]; d != 0 {
				return d
			}
			return compareTime(a.Time, b.Time)
		})
	}
	for _, r := range m.held {
		if err := m.emit(r); err != nil {
			return err
		}
	}
	m.held = nil
	if m.csv != nil {
		if err := m.csv.Flush(); err != nil {
			return err
		}
	}
	return m.w.Flush()
}

// compareTime orders times, those without a time last.
func compareTime(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// ruleTally counts matches per rule for the summary.
type ruleTally struct {
	byID  map[string]*ruleCount
	order []*ruleCount
}

type ruleCount struct {
	id, title, level string
	hits             int64
	hosts            map[string]bool
	first, last      time.Time
}

func newRuleTally() *ruleTally { return &ruleTally{byID: map[string]*ruleCount{}} }

func (t *ruleTally) add(r *hunt.Record) {
	key := r.RuleID
	if r.Indicator != "" {
		key += " " + r.Indicator
	}
	c := t.byID[key]
	if c == nil {
		c = &ruleCount{id: r.RuleID, title: r.Title, level: r.Level, hosts: map[string]bool{}}
		t.byID[key] = c
		t.order = append(t.order, c)
	}
	c.hits++
	if len(c.hosts) < 10000 {
		c.hosts[r.Host] = true
	}
	if !r.Time.IsZero() {
		if c.first.IsZero() || r.Time.Before(c.first) {
			c.first = r.Time
		}
		if r.Time.After(c.last) {
			c.last = r.Time
		}
	}
}

// maxSummaryRules is how many rules the summary lists.
const maxSummaryRules = 50

func (t *ruleTally) print(w io.Writer, loc *time.Location) {
	if len(t.order) == 0 {
		return
	}
	rules := slices.Clone(t.order)
	slices.SortStableFunc(rules, func(a, b *ruleCount) int {
		if d := levelRank[b.level] - levelRank[a.level]; d != 0 {
			return d
		}
		if a.hits != b.hits {
			if a.hits > b.hits {
				return -1
			}
			return 1
		}
		return strings.Compare(a.title, b.title)
	})
	fmt.Fprintln(w, "matches by rule (level, hits, hosts, first and last time, rule):")
	for i, c := range rules {
		if i == maxSummaryRules {
			fmt.Fprintf(w, "  ... %d more rules (--format jsonl has every match)\n", len(rules)-i)
			break
		}
		hosts := fmt.Sprintf("%d hosts", len(c.hosts))
		if len(c.hosts) == 1 {
			for h := range c.hosts {
				hosts = h
			}
			if hosts == "" {
				hosts = "(no host)"
			}
		}
		fmt.Fprintf(w, "  %-5s %6d  %s  %s  %s  %s  %s\n", shortLevel(c.level), c.hits, pad(cut(hosts, 22), 22),
			pad(shortTime(c.first, loc), 19), pad(shortTime(c.last, loc), 19), pad(shortID(c.id), wRule), cut(oneLine(c.title), 60))
	}
}

func shortTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// printFiles explains each input: what it held, how many rules could
// apply to it, what matched, or why it gave nothing.
func printFiles(w io.Writer, sum *hunt.Summary, haveRules bool) {
	if len(sum.PerFile) == 0 {
		return
	}
	noMatch := 0
	for _, f := range sum.PerFile {
		if f.Matches == 0 {
			noMatch++
		}
	}
	fmt.Fprintf(w, "files (%d, %d without a match): events, rules that apply, matches, file, sources\n", len(sum.PerFile), noMatch)
	for _, f := range sum.PerFile {
		rules := "-"
		if haveRules {
			rules = strconv.Itoa(f.Applicable)
		}
		what := strings.Join(firstN(f.Sources, 3), ", ")
		if len(f.Sources) > 3 {
			what += fmt.Sprintf(" +%d", len(f.Sources)-3)
		}
		switch f.Status {
		case hunt.FileEmpty:
			what = "no events: " + f.Note
		case hunt.FileSkipped:
			what = "skipped: " + f.Note
		case hunt.FileFailed:
			what = "unreadable: " + f.Note
		default:
			if haveRules && f.Applicable == 0 {
				what += "  <- no loaded rule applies"
			}
		}
		var extra []string
		if f.Lost > 0 {
			extra = append(extra, fmt.Sprintf("%d records lost", f.Lost))
		}
		if f.Damaged > 0 {
			extra = append(extra, fmt.Sprintf("%d damaged parts", f.Damaged))
		}
		if len(extra) > 0 {
			what += " (" + strings.Join(extra, ", ") + ")"
		}
		fmt.Fprintf(w, "  %8d ev %5s rules %6d matches  %s  %s\n", f.Events, rules, f.Matches, f.Path, what)
	}
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func printSummary(w io.Writer, sum *hunt.Summary, cfg hunt.Config, read, loaded, refused, skipped int, refusedWhy string, tally *ruleTally, loc *time.Location) {
	rate := 0.0
	if sum.Elapsed > 0 {
		rate = float64(sum.Events) / sum.Elapsed.Seconds()
	}
	fmt.Fprintln(w)
	if len(tally.order) > 0 {
		tally.print(w, loc)
		fmt.Fprintln(w)
	}
	if len(sum.PerFile) > 0 {
		printFiles(w, sum, cfg.Rules != nil)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "summary: %d events from %d files in %s (%.0f events/s)\n", sum.Events, read, sum.Elapsed.Round(time.Millisecond), rate)
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
		fmt.Fprintf(w, "damaged: %d part(s) read despite a failed checksum; matches from them are marked \"damaged\" (\"!\" after the level in the table)\n", sum.DamagedParts)
		for _, e := range sum.Damaged {
			fmt.Fprintf(w, "  %v\n", e)
		}
		if n := sum.DamagedParts - int64(len(sum.Damaged)); n > 0 {
			fmt.Fprintf(w, "  ... and %d more\n", n)
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
		for i, s := range sum.Sources {
			if i == 25 {
				fmt.Fprintf(w, "  ... %d more sources\n", len(sum.Sources)-i)
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
