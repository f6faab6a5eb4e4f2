package sigma

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"vigil/internal/detect"
)

// Correlation is the correlation section of a Sigma correlation rule.
type Correlation struct {
	Type     string // event_count, value_count, temporal, temporal_ordered
	Rules    []string
	GroupBy  []string
	Timespan time.Duration
	Field    string // value_count: the field whose distinct values count
	// Condition bounds; a correlation fires as soon as the count reaches
	// them, so only lower bounds (gt, gte) are supported in a stream.
	GT, GTE  int
	Generate bool
	Aliases  map[string]map[string]string // alias -> rule name -> field
}

func parseCorrelation(n *yaml.Node) (*Correlation, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("not a mapping")
	}
	c := &Correlation{GT: -1, GTE: -1}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "type":
			c.Type = scalar(v)
		case "rules":
			c.Rules = scalars(v)
		case "group-by":
			c.GroupBy = scalars(v)
		case "timespan":
			d, err := parseTimespan(scalar(v))
			if err != nil {
				return nil, err
			}
			c.Timespan = d
		case "generate":
			c.Generate = scalar(v) == "true"
		case "aliases":
			if v.Kind != yaml.MappingNode {
				return nil, errors.New("aliases is not a mapping")
			}
			c.Aliases = map[string]map[string]string{}
			for j := 0; j+1 < len(v.Content); j += 2 {
				m := map[string]string{}
				a := v.Content[j+1]
				for l := 0; a.Kind == yaml.MappingNode && l+1 < len(a.Content); l += 2 {
					m[a.Content[l].Value] = scalar(a.Content[l+1])
				}
				c.Aliases[v.Content[j].Value] = m
			}
		case "condition":
			if v.Kind != yaml.MappingNode {
				return nil, errors.New("condition is not a mapping")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				op, val := v.Content[j].Value, scalar(v.Content[j+1])
				if op == "field" {
					c.Field = val
					continue
				}
				num, err := strconv.Atoi(val)
				if err != nil {
					return nil, fmt.Errorf("condition %s: %q is not a number", op, val)
				}
				switch op {
				case "gt":
					c.GT = num
				case "gte":
					c.GTE = num
				case "lt", "lte", "eq":
					return nil, fmt.Errorf("condition %s is not supported: a hunt over a stream can only test lower bounds", op)
				default:
					return nil, fmt.Errorf("unknown condition %q", op)
				}
			}
		}
	}
	switch c.Type {
	case "event_count", "value_count":
		if c.GT < 0 && c.GTE < 0 {
			return nil, fmt.Errorf("%s needs a condition (gt or gte)", c.Type)
		}
		if c.Type == "value_count" && c.Field == "" {
			return nil, errors.New("value_count needs condition.field")
		}
	case "temporal", "temporal_ordered":
	default:
		return nil, fmt.Errorf("unknown type %q", c.Type)
	}
	if len(c.Rules) == 0 {
		return nil, errors.New("no rules")
	}
	if c.Timespan <= 0 {
		return nil, errors.New("no timespan")
	}
	return c, nil
}

func parseTimespan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("timespan %q: want a number and s, m, h or d", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("timespan %q: want a number and s, m, h or d", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("timespan %q: want a number and s, m, h or d", s)
	}
	return time.Duration(n) * unit, nil
}

// corrRule is a compiled correlation: the rules it follows by index (a
// base rule or another correlation, numbered after the base rules).
type corrRule struct {
	*Compiled
	refs []int32 // indices into RuleSet.rules, or len(rules)+i for correlation i
	c    *Correlation
}

// CorrelationMatch is a correlation rule that fired on an event (the one
// that completed it).
type CorrelationMatch struct {
	Rule  *Compiled
	Count int // events, values or rules counted
}

// Correlator keeps the state of the correlation rules over one ordered
// stream of events (a file, a host's feed). It is not safe for concurrent
// use; use one per stream.
type Correlator struct {
	rs     *RuleSet
	groups map[corrKey]*corrState
	out    []CorrelationMatch
}

type corrKey struct {
	corr  int
	group string
}

type corrState struct {
	times  []time.Time          // event_count: times in the window
	values map[string]time.Time // value_count: last time per value
	last   map[int]time.Time    // temporal: last time per referenced rule position
}

// NewCorrelator returns a Correlator for rs, or nil when rs has no
// correlation rules.
func (rs *RuleSet) NewCorrelator() *Correlator {
	if len(rs.corrs) == 0 {
		return nil
	}
	return &Correlator{rs: rs, groups: map[corrKey]*corrState{}}
}

// Suppressed reports whether a base rule's own matches are hidden because
// correlation rules use it without "generate: true".
func (rs *RuleSet) Suppressed(c *Compiled) bool {
	return int(c.index) < len(rs.suppressed) && rs.suppressed[c.index]
}

// Observe feeds the rules that matched ev and returns the correlations
// that fire. The slice is reused by the next call.
func (k *Correlator) Observe(ev *detect.Event, matched []*Compiled) []CorrelationMatch {
	if k == nil {
		return nil
	}
	k.out = k.out[:0]
	if len(matched) == 0 {
		return k.out
	}
	fired := make([]int32, 0, len(matched))
	for _, c := range matched {
		fired = append(fired, c.index)
	}
	// Correlations may follow correlations: feed what fired back in, a
	// few levels deep.
	for depth := 0; depth < 4 && len(fired) > 0; depth++ {
		var next []int32
		for _, ri := range fired {
			for _, ci := range k.rs.corrByRef[ri] {
				if m, ok := k.observe(ci, ri, ev); ok {
					k.out = append(k.out, m)
					next = append(next, int32(len(k.rs.rules)+ci))
				}
			}
		}
		fired = next
	}
	return k.out
}

func (k *Correlator) observe(ci int, ref int32, ev *detect.Event) (CorrelationMatch, bool) {
	cr := k.rs.corrs[ci]
	c := cr.c
	pos := -1
	for i, r := range cr.refs {
		if r == ref {
			pos = i
			break
		}
	}
	var refName string
	if base := int32(len(k.rs.rules)); ref < base {
		refName = k.rs.rules[ref].Name
	} else if int(ref-base) < len(k.rs.corrs) {
		refName = k.rs.corrs[ref-base].Name
	}
	var g strings.Builder
	for _, f := range c.GroupBy {
		name := f
		if a, ok := c.Aliases[f]; ok && a[refName] != "" {
			name = a[refName]
		}
		v, _ := ev.Get(name)
		g.WriteString(strings.ToLower(v))
		g.WriteByte(0)
	}
	key := corrKey{ci, g.String()}
	st := k.groups[key]
	if st == nil {
		if len(k.groups) > 1<<20 {
			clear(k.groups) // bound memory on hostile input
		}
		st = &corrState{}
		k.groups[key] = st
	}
	now := ev.Time
	cut := now.Add(-c.Timespan)
	threshold := func(n int) bool {
		return (c.GT >= 0 && n > c.GT) || (c.GTE >= 0 && n >= c.GTE)
	}
	switch c.Type {
	case "event_count":
		keep := st.times[:0]
		for _, t := range st.times {
			if !t.Before(cut) {
				keep = append(keep, t)
			}
		}
		st.times = append(keep, now)
		if n := len(st.times); threshold(n) {
			st.times = st.times[:0]
			return CorrelationMatch{Rule: cr.Compiled, Count: n}, true
		}
	case "value_count":
		v, ok := ev.Get(c.Field)
		if !ok {
			return CorrelationMatch{}, false
		}
		if st.values == nil {
			st.values = map[string]time.Time{}
		}
		for val, t := range st.values {
			if t.Before(cut) {
				delete(st.values, val)
			}
		}
		st.values[strings.ToLower(v)] = now
		if n := len(st.values); threshold(n) {
			st.values = nil
			return CorrelationMatch{Rule: cr.Compiled, Count: n}, true
		}
	default: // temporal, temporal_ordered
		if st.last == nil {
			st.last = map[int]time.Time{}
		}
		if c.Type == "temporal_ordered" && pos > 0 {
			prev, ok := st.last[pos-1]
			if !ok || prev.Before(cut) {
				return CorrelationMatch{}, false
			}
		}
		st.last[pos] = now
		for i := range cr.refs {
			t, ok := st.last[i]
			if !ok || t.Before(cut) {
				return CorrelationMatch{}, false
			}
		}
		st.last = nil
		return CorrelationMatch{Rule: cr.Compiled, Count: len(cr.refs)}, true
	}
	return CorrelationMatch{}, false
}
