// Package hunt runs Sigma rules and indicators over log files on all
// cores: the engine behind `vigil detect`. Files are read in parallel, one
// worker per core; each file's matches come out in record order and files
// in the order they were given, so two runs print the same thing.
//
// It lives beside package detect rather than in it because the Sigma and
// indicator packages import detect's event model.
package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/detect"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/parse"
	"vigil/internal/detect/sigma"
)

// Config says what to hunt with.
type Config struct {
	Rules    *sigma.RuleSet // may be nil when only indicators are hunted
	IOC      *ioc.Live      // may be nil
	MinLevel sigma.Level    // matches below are dropped (rules are usually filtered at load already)
	Workers  int            // 0 means one per core
}

// Record is one match: a rule or an indicator on one event.
type Record struct {
	Time      time.Time
	RuleID    string // rule id, or "ioc:<kind>" for an indicator
	Title     string
	Level     string
	Tags      []string
	Host      string
	Fields    []detect.Field // the fields that matched
	Source    string
	Record    uint64
	Channel   string
	EventID   string
	Indicator string // the indicator, for indicator matches
	// Damage is set when the event was read from a part of the file that
	// failed its checksum (detect.Event.Damage): its values may be
	// altered.
	Damage string
	// Details are the event's fields an analyst reads first (process,
	// command line, user, target, addresses; see Details).
	Details []detect.Field
	// Rule is the rule that matched (nil for indicators), for its
	// description, references and false positives.
	Rule *sigma.Compiled
}

// FileStatus says how far a file was read.
type FileStatus uint8

const (
	FileRead    FileStatus = iota // read, with events
	FileEmpty                     // read, no events in it (Note says why)
	FileSkipped                   // not read, on purpose (Note says why: xz-compressed, ...)
	FileFailed                    // could not be read (Note holds the error)
)

// FileStat is what one input gave, for the per-file summary.
type FileStat struct {
	Path       string
	Status     FileStatus
	Note       string
	Format     string
	Events     int64
	Matches    int64
	Lost       int64    // records lost to damage
	Damaged    int64    // parts read despite a failed checksum
	Sources    []string // channels or logsources seen, most events first
	Applicable int      // rules that apply to at least one of its events
}

// SourceStat counts the events of one channel (or logsource) and the
// rules that could apply to them.
type SourceStat struct {
	Name       string
	Events     int64
	Matches    int64
	Applicable int
	eventIDs   map[int]bool
	product    string
	service    string
	category   string
}

// Summary is what a hunt saw.
type Summary struct {
	Files         int
	Failed        []*datafile.Error
	Events        int64
	Bytes         int64
	Skipped       int64 // records skipped as corrupt
	CorruptChunks int64
	ReadErrors    []error // the first few skip reasons
	// Damaged lists every part of the inputs read despite a failed
	// integrity check (EVTX file header or chunk checksums: file, chunk,
	// offset), up to maxDamaged; DamagedParts counts them all.
	Damaged      []error
	DamagedParts int64
	Matches      map[string]int64 // by level
	Sources      []*SourceStat    // by events, most first
	PerFile      []*FileStat      // in input order
	Elapsed      time.Duration
}

// maxDamaged bounds Summary.Damaged.
const maxDamaged = 10000

// Progress is reported while a hunt runs.
type Progress struct {
	FilesDone, Files int
	BytesDone, Bytes int64
	Events           int64
}

// Inputs expands files and directories into the files to read, in a
// stable order. Directories are walked for log-like names; named files are
// always taken.
func Inputs(args []string) ([]string, []*datafile.Error) {
	var out []string
	var errs []*datafile.Error
	seen := map[string]bool{}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			errs = append(errs, &datafile.Error{File: a, Err: err})
			continue
		}
		if !st.IsDir() {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &datafile.Error{File: p, Err: err})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && logLike(p) && !seen[p] {
				seen[p] = true
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &datafile.Error{File: a, Err: err})
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, errs
}

// logLike picks the files of a directory worth reading: the log formats'
// usual extensions, rotated logs ("syslog.1", "messages-20240210") and
// extension-less files such as /var/log/messages, but not the binary
// login records /var/log keeps beside them. The content decides the format.
func logLike(p string) bool {
	base := strings.ToLower(filepath.Base(p))
	switch base {
	case "wtmp", "btmp", "lastlog", "faillog", "utmp":
		return false
	}
	ext := strings.ToLower(filepath.Ext(p))
	switch ext {
	case ".evtx", ".json", ".jsonl", ".ndjson", ".log", ".gz", ".bz2", ".txt", ".syslog", ".eve", ".cef", ".leef", ".xml", ".raw", ".out":
		return true
	case ".xz", ".zst", ".lz4":
		// Not read, but taken so the summary says it was skipped and why
		// rather than leaving it out without a word.
		return true
	case "":
		return !strings.HasPrefix(base, ".")
	}
	rot := strings.TrimPrefix(ext, ".")
	if strings.Trim(rot, "0123456789") == "" {
		return true // syslog.1, auth.log.2
	}
	if i := strings.LastIndexByte(base, '-'); i > 0 && len(base)-i == 9 && strings.Trim(base[i+1:], "0123456789") == "" {
		return true // messages-20240210
	}
	return false
}

// fileMsg carries one file's matches to the writer in chunks, so a huge
// file with many matches does not pile them up in memory; the last message
// has done set and the file's counts.
type fileMsg struct {
	records []Record
	done    *fileResult
}

// chunkRecords is how many matches travel together; chunksAhead how many
// chunks a worker may get ahead of the writer before it waits.
const (
	chunkRecords = 1024
	chunksAhead  = 8
)

type fileResult struct {
	records  []Record
	sources  map[string]*SourceStat
	stats    detect.ReadStats
	events   int64
	err      error
	format   string
	emptyWhy string // why a file read without error gave no events
}

// sortedSources returns a file's sources, most events first.
func sortedSources(m map[string]*SourceStat) []*SourceStat {
	out := make([]*SourceStat, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *SourceStat) int {
		if a.Events != b.Events {
			if a.Events > b.Events {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// source describes s for the rule set's applicability count.
func (s *SourceStat) source() sigma.Source {
	if s.product != "" || s.service != "" || s.category != "" {
		return sigma.Source{Product: s.product, Service: s.service, Category: s.category}
	}
	ids := make([]int, 0, len(s.eventIDs))
	for id := range s.eventIDs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return sigma.Source{Channel: s.Name, EventIDs: ids}
}

// unsupportedNote words a file skipped on purpose.
func unsupportedNote(err error) string {
	var ue *parse.UnsupportedError
	if errors.As(err, &ue) {
		return ue.Reason()
	}
	return err.Error()
}

// Run hunts over files, calling emit for each match in a deterministic
// order, and progress (if not nil) now and then from one goroutine. It
// returns when all files are read or ctx is done; emit's error stops it.
func Run(ctx context.Context, cfg Config, files []string, emit func(*Record) error, progress func(Progress)) (*Summary, error) {
	start := time.Now()
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sum := &Summary{Files: len(files), Matches: map[string]int64{}}
	sizes := make([]int64, len(files))
	var total int64
	for i, f := range files {
		if st, err := os.Stat(f); err == nil {
			sizes[i] = st.Size()
			total += st.Size()
		}
	}
	sum.Bytes = total

	results := make([]chan fileMsg, len(files))
	for i := range results {
		results[i] = make(chan fileMsg, chunksAhead)
	}
	jobs := make(chan int)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var events atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := newHunter(cfg, &events)
			for i := range jobs {
				r := h.file(ctx, files[i], results[i])
				select {
				case results[i] <- fileMsg{records: r.records, done: r}:
				case <-ctx.Done():
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	var bytesDone atomic.Int64
	var filesDone atomic.Int64
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if progress == nil {
			return
		}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				progress(Progress{FilesDone: int(filesDone.Load()), Files: len(files), BytesDone: bytesDone.Load(), Bytes: total, Events: events.Load()})
			}
		}
	}()

	sources := map[string]*SourceStat{}
	var runErr error
	for i := range files {
		var r *fileResult
		for r == nil && runErr == nil {
			select {
			case msg := <-results[i]:
				for j := range msg.records {
					rec := &msg.records[j]
					sum.Matches[rec.Level]++
					if err := emit(rec); err != nil {
						runErr = err
						cancel()
						break
					}
				}
				r = msg.done
			case <-ctx.Done():
				runErr = ctx.Err()
			}
		}
		if runErr != nil {
			break
		}
		filesDone.Add(1)
		bytesDone.Add(sizes[i])
		fst := &FileStat{Path: files[i], Format: r.format, Events: r.events, Lost: r.stats.Skipped, Damaged: r.stats.DamagedParts}
		switch {
		case errors.Is(r.err, parse.ErrUnsupported):
			fst.Status, fst.Note = FileSkipped, unsupportedNote(r.err)
		case r.err != nil:
			sum.Failed = append(sum.Failed, &datafile.Error{File: files[i], Err: r.err})
			fst.Status, fst.Note = FileFailed, r.err.Error()
		case r.events == 0:
			fst.Status, fst.Note = FileEmpty, r.emptyWhy
		}
		sum.PerFile = append(sum.PerFile, fst)
		sum.DamagedParts += r.stats.DamagedParts
		for _, e := range r.stats.Damaged {
			if len(sum.Damaged) < maxDamaged {
				sum.Damaged = append(sum.Damaged, e)
			}
		}
		var fileSources []sigma.Source
		for _, s := range sortedSources(r.sources) {
			fst.Sources = append(fst.Sources, s.Name)
			fst.Matches += s.Matches
			fileSources = append(fileSources, s.source())
		}
		if cfg.Rules != nil {
			fst.Applicable = cfg.Rules.CountApplicableSources(fileSources)
		}
		sum.Events += r.events
		sum.Skipped += r.stats.Skipped
		sum.CorruptChunks += r.stats.CorruptChunks
		for _, e := range r.stats.Errors {
			if len(sum.ReadErrors) < 20 {
				sum.ReadErrors = append(sum.ReadErrors, e)
			}
		}
		for k, s := range r.sources {
			t := sources[k]
			if t == nil {
				t = &SourceStat{Name: s.Name, eventIDs: map[int]bool{}, product: s.product, service: s.service, category: s.category}
				sources[k] = t
			}
			t.Events += s.Events
			t.Matches += s.Matches
			for id := range s.eventIDs {
				t.eventIDs[id] = true
			}
		}
	}
	cancel()
	close(stopProgress)
	<-progressDone
	wg.Wait()
	for _, s := range sources {
		if cfg.Rules != nil {
			s.Applicable = cfg.Rules.CountApplicableSources([]sigma.Source{s.source()})
		}
		sum.Sources = append(sum.Sources, s)
	}
	slices.SortFunc(sum.Sources, func(a, b *SourceStat) int {
		if a.Events != b.Events {
			if a.Events > b.Events {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	sum.Elapsed = time.Since(start)
	return sum, runErr
}

// hunter is one worker's state: its matchers are not shared.
type hunter struct {
	cfg    Config
	rules  *sigma.Matcher
	iocs   *ioc.Matcher
	events *atomic.Int64
	ev     detect.Event
}

func newHunter(cfg Config, events *atomic.Int64) *hunter {
	h := &hunter{cfg: cfg, events: events}
	if cfg.Rules != nil {
		h.rules = cfg.Rules.NewMatcher()
	}
	if cfg.IOC != nil {
		h.iocs = ioc.NewMatcher(cfg.IOC)
	}
	return h
}

func (h *hunter) file(ctx context.Context, path string, out chan<- fileMsg) (res *fileResult) {
	res = &fileResult{sources: map[string]*SourceStat{}}
	defer func() {
		// A reader bug must cost one file, not the hunt.
		if p := recover(); p != nil {
			res.err = fmt.Errorf("internal error reading the file: %v", p)
		}
	}()
	f, err := parse.OpenFile(path)
	if err != nil {
		res.err = err
		return res
	}
	defer f.Close()
	res.format = string(f.Format)
	var lastSrc *SourceStat
	var lastKey string
	// Correlations follow one file's events in order.
	var corr *sigma.Correlator
	if h.cfg.Rules != nil {
		corr = h.cfg.Rules.NewCorrelator()
	}
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			res.err = ctx.Err()
			break
		}
		err := f.Next(&h.ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			if res.events == 0 {
				res.err = err
			} else {
				res.stats.Errors = append(res.stats.Errors, fmt.Errorf("%s: reading stopped after %d events: %w", path, res.events, err))
			}
			break
		}
		if len(res.records) >= chunkRecords {
			select {
			case out <- fileMsg{records: res.records}:
			case <-ctx.Done():
			}
			res.records = nil
		}
		res.events++
		if res.events&255 == 0 {
			h.events.Add(256)
		}
		ev := &h.ev
		channel, _ := ev.Get("Channel")
		eid, _ := ev.Get("EventID")
		key := channel
		if channel != "" {
			prov, _ := ev.Get("Provider_Name")
			id, _ := strconv.Atoi(eid)
			channel = sigma.SourceChannel(channel, prov, id)
			key = channel
		} else {
			key = "product=" + ev.Product + " service=" + ev.Service + " category=" + ev.Category
		}
		src := lastSrc
		if src == nil || key != lastKey {
			src = res.sources[key]
			if src == nil {
				src = &SourceStat{Name: key, eventIDs: map[int]bool{}}
				if channel == "" {
					src.product, src.service, src.category = ev.Product, ev.Service, ev.Category
				}
				res.sources[key] = src
			}
			lastSrc, lastKey = src, key
		}
		src.Events++
		if id, err := strconv.Atoi(eid); err == nil && len(src.eventIDs) < 4096 {
			src.eventIDs[id] = true
		}
		if h.rules != nil {
			matched := h.rules.Match(ev)
			for _, c := range matched {
				if h.cfg.MinLevel > sigma.LevelInformational && c.Level < h.cfg.MinLevel || h.cfg.Rules.Suppressed(c) {
					continue
				}
				src.Matches++
				res.records = append(res.records, Record{
					Time: ev.Time, RuleID: c.ID, Title: c.Title, Level: c.Level.String(), Tags: c.Tags,
					Host: ev.Host, Fields: h.rules.Explain(c, ev), Source: ev.Source, Record: ev.Record,
					Channel: channel, EventID: eid, Damage: ev.Damage, Details: Details(ev), Rule: c,
				})
			}
			for _, cm := range corr.Observe(ev, matched) {
				c := cm.Rule
				if h.cfg.MinLevel > sigma.LevelInformational && c.Level < h.cfg.MinLevel {
					continue
				}
				src.Matches++
				fields := []detect.Field{{Name: "count", Value: strconv.Itoa(cm.Count)}}
				for _, g := range c.Correlation.GroupBy {
					v, _ := ev.Get(g)
					fields = append(fields, detect.Field{Name: g, Value: v})
				}
				res.records = append(res.records, Record{
					Time: ev.Time, RuleID: c.ID, Title: c.Title, Level: c.Level.String(), Tags: c.Tags,
					Host: ev.Host, Fields: fields, Source: ev.Source, Record: ev.Record,
					Channel: channel, EventID: eid, Damage: ev.Damage, Details: Details(ev), Rule: c,
				})
			}
		}
		if h.iocs != nil {
			for _, m := range h.iocs.Match(ev) {
				if sigma.LevelHigh < h.cfg.MinLevel {
					continue
				}
				src.Matches++
				title := "Indicator " + m.Kind.String() + " " + m.Indicator
				if m.Comment != "" {
					title += " (" + m.Comment + ")"
				}
				res.records = append(res.records, Record{
					Time: ev.Time, RuleID: "ioc:" + m.Kind.String(), Title: title, Level: sigma.LevelHigh.String(),
					Host: ev.Host, Fields: []detect.Field{{Name: m.Field, Value: m.Value}}, Source: ev.Source, Record: ev.Record,
					Channel: channel, EventID: eid, Indicator: m.Indicator, Damage: ev.Damage, Details: Details(ev),
				})
			}
		}
	}
	h.events.Add(res.events & 255)
	st := f.Stats()
	res.stats.Skipped, res.stats.CorruptChunks = st.Skipped, st.CorruptChunks
	res.stats.Damaged, res.stats.DamagedParts = st.Damaged, st.DamagedParts
	res.stats.Errors = append(st.Errors, res.stats.Errors...)
	if res.events == 0 && res.err == nil {
		res.emptyWhy = emptyReason(path, f)
	}
	if res.err == nil && res.events == 0 && st.Skipped > 0 {
		res.err = errors.New("no readable records")
		if len(st.Errors) > 0 {
			res.err = fmt.Errorf("no readable records (first problem: %v)", st.Errors[0])
		}
	}
	return res
}

// emptyReason says why a file that read without error gave no events.
func emptyReason(path string, f *parse.File) string {
	if st, err := os.Stat(path); err == nil && st.Size() == 0 {
		return "empty file"
	}
	if est, ok := f.EVTXStats(); ok {
		switch {
		case est.Chunks == 0:
			return "EVTX file header only, no chunks: a cleared or never-written log"
		case est.CorruptChunks == est.Chunks:
			return "no readable EVTX chunk"
		}
		return "EVTX chunks hold no records"
	}
	if f.Stats().Skipped > 0 {
		return "no readable records"
	}
	return "no records"
}

// detailFields are the fields an analyst reads first, in the order shown:
// what ran, as whom, on what, from and to where (as Hayabusa's timelines
// show them). Windows and Sysmon names first, then ECS-like names of
// other sources.
var detailFields = []string{
	"CommandLine", "Image", "NewProcessName", "ParentImage", "ParentProcessName",
	"ScriptBlockText", "ImageLoaded", "TargetImage", "TargetFilename", "TargetObject", "Details",
	"PipeName", "QueryName", "ServiceName", "ImagePath", "ServiceFileName", "TaskName",
	"ObjectName", "ShareName", "RelativeTargetName", "Threat Name", "Path",
	"User", "SubjectUserName", "TargetUserName", "LogonType", "WorkstationName",
	"IpAddress", "SourceIp", "SourceAddress", "DestinationIp", "DestAddress", "DestinationPort", "DestPort",
	"process.command_line", "process.name", "user.name", "source.ip", "destination.ip", "destination.port",
	"url.original", "dns.question.name", "rule.name", "message",
}

// maxDetails is how many detail fields a record carries.
const maxDetails = 6

// Details returns up to six of the event's fields worth reading first
// (detailFields), skipping empty and "-" values. It allocates, so call it
// for matches only.
func Details(ev *detect.Event) []detect.Field {
	var out []detect.Field
	for _, name := range detailFields {
		v, ok := ev.Get(name)
		if !ok || v == "" || v == "-" {
			continue
		}
		out = append(out, detect.Field{Name: name, Value: v})
		if len(out) == maxDetails {
			break
		}
	}
	return out
}
