package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"vigil/internal/alerts"
	"vigil/internal/bus"
	"vigil/internal/detect"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/parse"
	"vigil/internal/detect/sigma"
)

// Recorder takes matches and files them as alerts; alerts.Service is the
// one the hub wires in.
type Recorder interface {
	Record(ctx context.Context, ms []alerts.Match) error
}

// Group is the bus consumer group of detection: every detecting process
// shares it, so each record is matched once.
const Group = "detect"

// Pipeline matches batches of bus records with an Engine's current rules
// and indicators and records what matched. One batch is in flight at a
// time (the bus hands the next when Handle returns), split across one
// worker per core, so memory stays bounded by the batch size and a slow
// alert store pushes back on the bus.
type Pipeline struct {
	Engine  *Engine
	Alerts  Recorder
	Workers int // 0: one per core
	Logger  *slog.Logger
	Metrics *Metrics // may be nil

	once    sync.Once
	workers []*worker
	corr    *sigma.Correlator
	corrFor *sigma.RuleSet
}

// Run consumes the bus until ctx ends.
func (p *Pipeline) Run(ctx context.Context, b bus.Bus) error {
	return b.Consume(ctx, Group, p.Handle)
}

// chunk is how many records one worker takes at a time.
const chunk = 128

// found is one event with at least one match, kept (cloned) past its
// worker's next record.
type found struct {
	idx   int
	ev    *detect.Event
	rules []*sigma.Compiled
	iocs  []ioc.Match
}

// Handle matches one batch and records its matches. It returns an error
// (and the bus redelivers the batch) only when the alert store fails;
// records that cannot be parsed are counted and dropped.
func (p *Pipeline) Handle(ctx context.Context, recs []bus.Record) error {
	p.once.Do(p.init)
	rs := p.Engine.Rules()
	nChunks := (len(recs) + chunk - 1) / chunk
	outs := make([][]found, nChunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range p.workers[:min(len(p.workers), nChunks)] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.use(rs)
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks {
					return
				}
				lo, hi := c*chunk, min((c+1)*chunk, len(recs))
				outs[c] = w.run(recs, lo, hi, outs[c][:0])
			}
		}()
	}
	wg.Wait()
	for _, w := range p.workers {
		w.flush(p.Metrics)
	}
	ms := p.matches(rs, recs, outs)
	if len(ms) == 0 {
		return nil
	}
	if err := p.Alerts.Record(ctx, ms); err != nil {
		return fmt.Errorf("pipeline: record %d matches: %w", len(ms), err)
	}
	return nil
}

func (p *Pipeline) init() {
	n := p.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	for i := 0; i < n; i++ {
		p.workers = append(p.workers, &worker{parser: parse.NewParser(), iocs: ioc.NewMatcher(&p.Engine.IOC), unparsed: map[string]int64{}})
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
}

// matches turns what the workers found into alert matches, in record
// order: correlations follow the stream in that order, and disabled rules
// and exceptions are applied.
func (p *Pipeline) matches(rs *Ruleset, recs []bus.Record, outs [][]found) []alerts.Match {
	if rs.Sigma != p.corrFor {
		p.corrFor = rs.Sigma
		p.corr = nil
		if rs.Sigma != nil {
			p.corr = rs.Sigma.NewCorrelator() // a new set starts its windows afresh
		}
	}
	var ms []alerts.Match
	hits := map[string]int64{}
	var nSigma, nIOC, nCorr, nExcepted int64
	add := func(rec *bus.Record, ev *detect.Event, id, title, level, key string) {
		if rs.Disabled[id] {
			return
		}
		if rs.excepted(id, rec.UnitID, ev.Host) {
			nExcepted++
			return
		}
		hits[id]++
		ms = append(ms, alerts.Match{RuleID: id, RuleTitle: title, Level: level, SourceID: rec.SourceID, UnitID: rec.UnitID,
			Host: ev.Host, Addresses: addresses(ev, rec.Remote), Key: key, Time: ev.Time, Event: ev})
	}
	for _, out := range outs {
		for i := range out {
			f := &out[i]
			rec := &recs[f.idx]
			for _, c := range f.rules {
				nSigma++
				if rs.Sigma.Suppressed(c) {
					continue // only its correlations report it
				}
				add(rec, f.ev, c.ID, c.Title, level(c.Level), "")
			}
			for _, cm := range p.corr.Observe(f.ev, f.rules) {
				nCorr++
				c := cm.Rule
				key := ""
				for i, g := range c.Correlation.GroupBy {
					v, _ := f.ev.Get(g)
					if i > 0 {
						key += "|"
					}
					key += v
				}
				ev := f.ev.Clone()
				ev.Set("correlation.count", strconv.Itoa(cm.Count))
				add(rec, ev, c.ID, c.Title, level(c.Level), key)
			}
			for j, m := range f.iocs {
				if slices.ContainsFunc(f.iocs[:j], func(o ioc.Match) bool { return o.Kind == m.Kind && o.Indicator == m.Indicator }) {
					continue // the same indicator in another field (an alias)
				}
				nIOC++
				title := "Indicator " + m.Kind.String() + " " + m.Indicator
				if m.Comment != "" {
					title += " (" + m.Comment + ")"
				}
				add(rec, f.ev, "ioc:"+m.Kind.String(), title, "high", m.Indicator)
			}
		}
	}
	p.Engine.countHits(hits)
	if m := p.Metrics; m != nil {
		m.matchSigma.Add(float64(nSigma))
		m.matchIOC.Add(float64(nIOC))
		m.matchCorr.Add(float64(nCorr))
		m.excepted.Add(float64(nExcepted))
	}
	return ms
}

func level(l sigma.Level) string {
	if l == sigma.LevelUnknown {
		return sigma.LevelMedium.String()
	}
	return l.String()
}

// maxAddresses bounds the addresses a match carries for attribution.
const maxAddresses = 8

// addresses lists the event's addresses that may name its host, the
// sender's last.
func addresses(ev *detect.Event, remote string) []string {
	var out []string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		if len(out) >= maxAddresses-1 {
			break
		}
		if isAddressField(f.Name) && validAddr(f.Value) && !slices.Contains(out, f.Value) {
			out = append(out, f.Value)
		}
	}
	if remote != "" {
		if h, _, err := net.SplitHostPort(remote); err == nil {
			remote = h
		}
		if validAddr(remote) && !slices.Contains(out, remote) {
			out = append(out, remote)
		}
	}
	return out
}

// worker parses and matches records with its own scratch space.
type worker struct {
	parser *parse.Parser
	rs     *Ruleset
	sigma  *sigma.Matcher
	iocs   *ioc.Matcher
	ev     detect.Event

	parsed   int64
	unparsed map[string]int64
}

// use switches the worker to rs, building a matcher for a new set.
func (w *worker) use(rs *Ruleset) {
	if w.rs == rs {
		return
	}
	w.rs = rs
	w.sigma = nil
	if rs.Sigma != nil && rs.Sigma.Len() > 0 {
		w.sigma = rs.Sigma.NewMatcher()
	}
}

// run parses and matches recs[lo:hi], appending events with matches.
func (w *worker) run(recs []bus.Record, lo, hi int, out []found) []found {
	ev := &w.ev
	for i := lo; i < hi; i++ {
		rec := &recs[i]
		var err error
		switch rec.Format {
		case bus.FormatText:
			err = w.parser.Line(ev, rec.Data)
		case bus.FormatJSON:
			err = w.parser.JSON(ev, rec.Data)
		case bus.FormatEvent:
			err = bus.DecodeEvent(rec.Data, ev)
		default:
			err = errUnknownFormat
		}
		if err != nil {
			w.unparsed[reason(err)]++
			continue
		}
		w.parsed++
		if ev.Time.IsZero() {
			ev.Time = rec.Received
		}
		if ev.Source == "" {
			ev.Source = "source:" + strconv.FormatInt(rec.SourceID, 10)
		}
		if ev.Record == 0 {
			ev.Record = rec.Seq
		}
		var rules []*sigma.Compiled
		if w.sigma != nil {
			rules = w.sigma.Match(ev)
		}
		iocs := w.iocs.Match(ev)
		if len(rules) == 0 && len(iocs) == 0 {
			continue
		}
		out = append(out, found{idx: i, ev: ev.Clone(), rules: slices.Clone(rules), iocs: slices.Clone(iocs)})
	}
	return out
}

// flush adds the worker's counts to the metrics.
func (w *worker) flush(m *Metrics) {
	if m != nil {
		m.parsed.Add(float64(w.parsed))
		for r, n := range w.unparsed {
			m.unparsed.WithLabelValues(r).Add(float64(n))
		}
	}
	w.parsed = 0
	clear(w.unparsed)
}
