package sigma

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Level is a rule's severity, ordered so filters can compare.
type Level int8

const (
	LevelUnknown Level = iota
	LevelInformational
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

var levelNames = [...]string{"unknown", "informational", "low", "medium", "high", "critical"}

func (l Level) String() string {
	if int(l) < len(levelNames) && l >= 0 {
		return levelNames[l]
	}
	return "unknown"
}

// ParseLevel reads a level name ("info" is accepted for informational).
func ParseLevel(s string) (Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "informational", "info":
		return LevelInformational, true
	case "low":
		return LevelLow, true
	case "medium":
		return LevelMedium, true
	case "high":
		return LevelHigh, true
	case "critical":
		return LevelCritical, true
	}
	return LevelUnknown, false
}

// node is one operator of a compiled condition.
type node struct {
	op   nodeOp
	n    int // opAtLeast
	kids []*node
	fm   *fieldMatch
}

type nodeOp uint8

const (
	opField nodeOp = iota
	opAnd
	opOr
	opNot
	opAtLeast
	opTrue
	opFalse
)

const anyField = -1

// fieldMatch tests one field (or, for keywords, every field) against
// patterns; any one pattern suffices unless all is set.
type fieldMatch struct {
	field int32
	name  string
	all   bool
	pats  []pattern
	// multi tests the many plain "contains" patterns of a long list
	// (marked inMulti) in one pass over the value instead of one
	// strings.Contains each.
	multi *lazyAC
}

// lazyAC builds a field's list automaton the first time an event needs
// it: most rules are never evaluated in a given hunt (their prefilter
// literals are not found), and building every list's tables up front was
// a third of loading SigmaHQ's rules.
type lazyAC struct {
	once sync.Once
	lits []string
	m    *acMachine
}

func (l *lazyAC) get() *acMachine {
	l.once.Do(func() {
		l.m = newACMachine(l.lits)
		l.lits = nil
	})
	return l.m
}

// minLiteral is the shortest literal the automaton looks for.
const minLiteral = 3

// multiMin is how many contains values make a list worth an automaton.
const multiMin = 8

// Compiled is a rule ready to run.
type Compiled struct {
	*Rule
	Level Level
	index int32
	root  *node
	pre   []int32 // prefilter pairs: the rule can only match if one is found
}

// RuleError reports a rule that could not be loaded.
type RuleError struct {
	Path  string
	ID    string
	Title string
	Err   error
}

func (e *RuleError) Error() string {
	id := e.ID
	if id == "" {
		id = e.Title
	}
	return fmt.Sprintf("%s: rule %s: %v", e.Path, id, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

type pairKey struct {
	field int32
	lit   string
}

// winChannel holds the rules routed to one Windows channel.
type winChannel struct {
	any  []int32
	byID map[int][]int32
}

type lsKey struct{ product, service, category string }

// RuleSet is a compiled, immutable set of rules. It is safe for concurrent
// use; each goroutine matches through its own Matcher.
type RuleSet struct {
	rules      []*Compiled
	fieldIDs   map[string]int32
	foldedIDs  map[string]int32 // lower-cased names, for events that spell a name differently
	fieldNames []string
	pairs      []pairKey
	pairIdx    map[pairKey]int32

	winAll  []int32
	winChan map[string]*winChannel // lowered channel
	other   map[lsKey][]int32

	mu      sync.Mutex
	buckets atomic.Pointer[map[bucketKey]*bucket]
	bySig   map[string]*bucket

	corrs      []*corrRule
	corrByRef  map[int32][]int // base rule or correlation (len(rules)+i) -> correlations following it
	suppressed []bool          // base rules used by correlations without generate

	// Warnings name rules that loaded with a caveat (an unknown log
	// source).
	Warnings []*RuleError

	eventIDField, channelField, providerField int32
	alias4688                                 []int32 // field ids of aliases4688 names, -1 when unused
}

// Rules returns the compiled rules in load order.
func (rs *RuleSet) Rules() []*Compiled { return rs.rules }

// Len reports how many rules loaded.
func (rs *RuleSet) Len() int { return len(rs.rules) }

// Compile checks and compiles rules. Rules that fail are returned as
// errors, one per rule, and left out; the rest make the set.
func Compile(rules []*Rule, opts Options) (*RuleSet, []*RuleError) {
	rs := &RuleSet{
		fieldIDs: map[string]int32{},
		pairIdx:  map[pairKey]int32{},
		winChan:  map[string]*winChannel{},
		other:    map[lsKey][]int32{},
		bySig:    map[string]*bucket{},
	}
	rs.eventIDField = rs.field("EventID")
	rs.channelField = rs.field("Channel")
	rs.providerField = rs.field("Provider_Name")
	var errs []*RuleError
	var corrRules []*Rule
	for _, r := range rules {
		if r.Correlation != nil {
			corrRules = append(corrRules, r)
			continue
		}
		c, routes, ls, err := rs.compileRule(r, &opts)
		if err != nil {
			errs = append(errs, &RuleError{Path: r.Path, ID: r.ID, Title: r.Title, Err: err})
			continue
		}
		c.index = int32(len(rs.rules))
		rs.rules = append(rs.rules, c)
		rs.index(c.index, routes, ls)
	}
	errs = append(errs, rs.compileCorrelations(corrRules)...)
	rs.dropUnindexedPairs()
	rs.compact()
	rs.foldedIDs = make(map[string]int32, len(rs.fieldNames))
	for i, n := range rs.fieldNames {
		if _, dup := rs.foldedIDs[strings.ToLower(n)]; !dup {
			rs.foldedIDs[strings.ToLower(n)] = int32(i)
		}
	}
	rs.alias4688 = make([]int32, len(aliases4688))
	for i, a := range aliases4688 {
		if id, ok := rs.fieldIDs[a.name]; ok {
			rs.alias4688[i] = id
		} else {
			rs.alias4688[i] = -1
		}
	}
	empty := map[bucketKey]*bucket{}
	rs.buckets.Store(&empty)
	return rs, errs
}

func (rs *RuleSet) field(name string) int32 {
	if id, ok := rs.fieldIDs[name]; ok {
		return id
	}
	id := int32(len(rs.fieldNames))
	rs.fieldIDs[name] = id
	rs.fieldNames = append(rs.fieldNames, name)
	return id
}

func (rs *RuleSet) pair(field int32, lit string) int32 {
	k := pairKey{field, lit}
	if id, ok := rs.pairIdx[k]; ok {
		return id
	}
	id := int32(len(rs.pairs))
	rs.pairIdx[k] = id
	rs.pairs = append(rs.pairs, k)
	return id
}

// routing says where a compiled rule applies.
type routing struct {
	windows bool
	all     bool // every Windows event
	routes  []route
}

func isWindows(ls Logsource) bool {
	if ls.Product == "windows" {
		return true
	}
	if ls.Product == "" {
		if _, ok := windowsCategories[ls.Category]; ok && ls.Category != "" {
			return true
		}
		if _, ok := windowsServices[ls.Service]; ok && ls.Service != "" {
			return true
		}
	}
	return false
}

func (rs *RuleSet) compileRule(r *Rule, opts *Options) (*Compiled, routing, Logsource, error) {
	var rt routing
	c := &Compiled{Rule: r}
	c.Level, _ = ParseLevel(r.Level)
	sc := &specCompiler{opts: opts, field: rs.field}
	searches := map[string]*node{}
	var names []string
	for name, s := range r.Detection.Searches {
		n, err := rs.compileSearch(sc, s)
		if err != nil {
			return nil, rt, r.Logsource, fmt.Errorf("search %s: %w", name, err)
		}
		searches[name] = n
		names = append(names, name)
	}
	if len(sc.missing) > 0 {
		slices.Sort(sc.missing)
		return nil, rt, r.Logsource, &PlaceholderError{Names: sc.missing}
	}
	slices.Sort(names)
	var roots []*node
	for _, cs := range r.Detection.Conditions {
		cond, err := ParseCondition(cs)
		if err != nil {
			return nil, rt, r.Logsource, err
		}
		n, err := condNode(cond, searches, names)
		if err != nil {
			return nil, rt, r.Logsource, err
		}
		roots = append(roots, n)
	}
	if len(roots) == 1 {
		c.root = roots[0]
	} else {
		c.root = &node{op: opOr, kids: roots}
	}
	orderByCost(c.root, map[*node]bool{})
	c.pre, _ = rs.prefilter(c.root)
	if isWindows(r.Logsource) {
		rt.windows = true
		routes, err := windowsRoutes(r.Logsource)
		if err != nil {
			// A log source this mapping does not know yet: the rule still
			// runs, on every Windows event (or those its Channel and
			// EventID conditions name), so a newer rule set is not lost;
			// the caller hears about it.
			rs.Warnings = append(rs.Warnings, &RuleError{Path: r.Path, ID: r.ID, Title: r.Title, Err: fmt.Errorf("%v: applied to all Windows events", err)})
			routes = nil
		}
		ids, hasIDs := rs.constraint(c.root, rs.eventIDField)
		var eids []int
		if hasIDs {
			for _, s := range ids {
				if v, err := strconv.Atoi(s); err == nil {
					eids = append(eids, v)
				} else {
					hasIDs = false
				}
			}
		}
		if routes == nil {
			if chans, ok := rs.constraint(c.root, rs.channelField); ok {
				for _, ch := range chans {
					routes = append(routes, route{Channel: ch})
				}
			}
		}
		if routes == nil {
			if hasIDs {
				routes = []route{{Channel: "", EventIDs: eids}}
			} else {
				rt.all = true
			}
		} else if hasIDs {
			var narrowed []route
			for _, ro := range routes {
				if ro.EventIDs == nil {
					narrowed = append(narrowed, route{ro.Channel, eids})
					continue
				}
				var keep []int
				for _, id := range ro.EventIDs {
					if slices.Contains(eids, id) {
						keep = append(keep, id)
					}
				}
				if len(keep) > 0 {
					narrowed = append(narrowed, route{ro.Channel, keep})
				}
			}
			if len(narrowed) > 0 {
				routes = narrowed
			}
		}
		rt.routes = routes
	}
	return c, rt, r.Logsource, nil
}

func (rs *RuleSet) index(i int32, rt routing, ls Logsource) {
	if !rt.windows {
		k := lsKey{ls.Product, ls.Service, ls.Category}
		rs.other[k] = append(rs.other[k], i)
		return
	}
	if rt.all {
		rs.winAll = append(rs.winAll, i)
		return
	}
	for _, ro := range rt.routes {
		key := strings.ToLower(ro.Channel)
		wc := rs.winChan[key]
		if wc == nil {
			wc = &winChannel{byID: map[int][]int32{}}
			rs.winChan[key] = wc
		}
		if ro.EventIDs == nil {
			wc.any = appendUnique(wc.any, i)
			continue
		}
		for _, id := range ro.EventIDs {
			wc.byID[id] = appendUnique(wc.byID[id], i)
		}
	}
}

func appendUnique(s []int32, v int32) []int32 {
	if len(s) > 0 && s[len(s)-1] == v {
		return s
	}
	return append(s, v)
}

func (rs *RuleSet) compileSearch(sc *specCompiler, s *Search) (*node, error) {
	if s.Keywords != nil {
		fm, err := rs.compileField(sc, s.Keywords, anyField)
		if err != nil {
			return nil, err
		}
		return &node{op: opField, fm: fm}, nil
	}
	var ors []*node
	for _, m := range s.Maps {
		var ands []*node
		for _, fs := range m {
			id := int32(anyField)
			if fs.Field != "" {
				id = rs.field(fs.Field)
			}
			fm, err := rs.compileField(sc, fs, id)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", fs.Field, err)
			}
			ands = append(ands, &node{op: opField, fm: fm})
		}
		if len(ands) == 1 {
			ors = append(ors, ands[0])
		} else {
			ors = append(ors, &node{op: opAnd, kids: ands})
		}
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return &node{op: opOr, kids: ors}, nil
}

func (rs *RuleSet) compileField(sc *specCompiler, fs *FieldSpec, id int32) (*fieldMatch, error) {
	pats, all, err := sc.compileSpec(fs)
	if err != nil {
		return nil, err
	}
	for i := range pats {
		p := &pats[i]
		p.pairs = nil
		for _, l := range p.lits {
			if hasASCII(l) && len(acLiteral(l)) < minLiteral {
				if !hasNonASCII(l) {
					// Too short to be worth looking for: it would be
					// found in most values and wake its rule anyway.
					p.pairs = nil
					break
				}
				// Its non-ASCII bytes are what is rare ("1" and a
				// combining keycap): look for those instead.
				l = nonASCIILit
			}
			if !hasASCII(l) {
				// All such literals of a field share one pair: "has a
				// non-ASCII byte", which the scan tells for free.
				l = nonASCIILit
			}
			p.pairs = appendUnique(p.pairs, rs.pair(id, l))
		}
	}
	for i := range pats {
		p := &pats[i]
		if p.cased {
			continue
		}
		p.ascii = !hasNonASCII(p.s)
		p.exact = p.kind == pContains && id != anyField && p.ascii &&
			len(p.s) >= minLiteral && len(p.s) <= acWindow && len(p.pairs) == 1
	}
	fm := &fieldMatch{field: id, name: fs.Field, all: all, pats: pats}
	if !all {
		var lits []string
		for _, p := range pats {
			if p.kind == pContains && !p.cased {
				lits = append(lits, p.s)
			}
		}
		if len(lits) >= multiMin {
			fm.multi = &lazyAC{lits: lits}
			for i := range fm.pats {
				if fm.pats[i].kind == pContains && !fm.pats[i].cased {
					fm.pats[i].inMulti = true
				}
			}
		}
	}
	return fm, nil
}

func condNode(c *Cond, searches map[string]*node, names []string) (*node, error) {
	switch c.Op {
	case CondRef:
		n, ok := searches[c.Name]
		if !ok {
			return nil, fmt.Errorf("condition names unknown search %q", c.Name)
		}
		return n, nil
	case CondNot:
		x, err := condNode(c.Args[0], searches, names)
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, kids: []*node{x}}, nil
	case CondAnd, CondOr:
		op := opAnd
		if c.Op == CondOr {
			op = opOr
		}
		n := &node{op: op}
		for _, a := range c.Args {
			x, err := condNode(a, searches, names)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, x)
		}
		return n, nil
	case CondOf:
		var kids []*node
		for _, name := range names {
			if c.Name == "them" {
				if strings.HasPrefix(name, "_") {
					continue
				}
			} else if ok, _ := path.Match(c.Name, name); !ok {
				continue
			}
			kids = append(kids, searches[name])
		}
		if len(kids) == 0 {
			return nil, fmt.Errorf("condition %q matches no search", c.String())
		}
		if c.N == 0 || c.N >= len(kids) && c.N > 1 {
			if c.N > len(kids) {
				return &node{op: opFalse}, nil
			}
			return &node{op: opAnd, kids: kids}, nil
		}
		if c.N == 1 {
			return &node{op: opOr, kids: kids}, nil
		}
		return &node{op: opAtLeast, n: c.N, kids: kids}, nil
	}
	return nil, fmt.Errorf("bad condition")
}

// constraint returns the values a field must equal for the condition to
// hold (when the condition says so plainly), used to route rules by
// EventID and Channel.
func (rs *RuleSet) constraint(n *node, field int32) ([]string, bool) {
	switch n.op {
	case opField:
		fm := n.fm
		if fm.field != field || (fm.all && len(fm.pats) > 1) || len(fm.pats) == 0 {
			return nil, false
		}
		var out []string
		for _, p := range fm.pats {
			if p.kind != pEq || p.s == "" {
				return nil, false
			}
			out = append(out, p.s)
		}
		return out, true
	case opAnd:
		for _, k := range n.kids {
			if v, ok := rs.constraint(k, field); ok {
				return v, true
			}
		}
	case opOr:
		var out []string
		for _, k := range n.kids {
			v, ok := rs.constraint(k, field)
			if !ok {
				return nil, false
			}
			out = append(out, v...)
		}
		return out, len(out) > 0
	}
	return nil, false
}

// prefilter returns pairs of which at least one must be found in the event
// for the condition to hold; ok is false when no such set exists (the rule
// is then always evaluated).
func (rs *RuleSet) prefilter(n *node) (pairs []int32, ok bool) {
	switch n.op {
	case opField:
		fm := n.fm
		if fm.all {
			var best []int32
			for _, p := range fm.pats {
				if p.pairs != nil && (best == nil || rs.better(p.pairs, best)) {
					best = p.pairs
				}
			}
			return best, best != nil
		}
		for _, p := range fm.pats {
			if p.kind == pNever {
				continue
			}
			if p.pairs == nil {
				return nil, false
			}
			pairs = append(pairs, p.pairs...)
		}
		slices.Sort(pairs)
		return slices.Compact(pairs), true
	case opAnd:
		var best []int32
		found := false
		for _, k := range n.kids {
			p, ok := rs.prefilter(k)
			if ok && (!found || rs.better(p, best)) {
				best, found = p, true
			}
		}
		return best, found
	case opOr, opAtLeast:
		if n.op == opAtLeast && n.n >= len(n.kids) {
			return rs.prefilter(&node{op: opAnd, kids: n.kids})
		}
		for _, k := range n.kids {
			p, ok := rs.prefilter(k)
			if !ok {
				return nil, false
			}
			pairs = append(pairs, p...)
		}
		slices.Sort(pairs)
		return slices.Compact(pairs), true
	case opFalse:
		return nil, true
	}
	return nil, false
}

// better prefers the pair set whose weakest literal is most selective,
// then the smaller set.
func (rs *RuleSet) better(a, b []int32) bool {
	sa, sb := rs.setScore(a), rs.setScore(b)
	if sa != sb {
		return sa > sb
	}
	return len(a) < len(b)
}

func (rs *RuleSet) setScore(s []int32) int {
	m := 1 << 30
	for _, p := range s {
		if v := rs.pairScore(p); v < m {
			m = v
		}
	}
	return m
}

// commonTails are literals found in most events' paths and command lines;
// as prefilters they would wake their rules for nearly every event.
var commonTails = map[string]bool{
	"exe": true, "dll": true, "sys": true, "tmp": true, "txt": true, "bat": true, "cmd": true,
	"ps1": true, "com": true, "msi": true, "lnk": true, "log": true, "dat": true, "xml": true,
	"js": true, "vbs": true, "hta": true, "ini": true, "windows": true, "system32": true,
	"c:": true, "true": true, "false": true, "0x0": true,
}

// pairScore estimates how rarely a literal appears in its field: its
// length, less for common file extensions and path parts, least for the
// routing fields (the index already selects on them).
func (rs *RuleSet) pairScore(p int32) int {
	pk := rs.pairs[p]
	switch pk.field {
	case rs.eventIDField, rs.channelField, rs.providerField:
		return 0
	}
	lit := acLiteral(pk.lit)
	if commonTails[strings.Trim(lit, `.\/ :`)] {
		return 2
	}
	return min(len(lit), acWindow)
}

// compact copies the rules' condition trees into a few contiguous slabs,
// each rule's nodes, field tests and patterns in the order evaluation
// visits them. Built as parsed, they were scattered over the heap among
// the YAML parser's garbage, and evaluating a candidate rule was mostly
// waiting for cache misses. Nodes shared within a rule stay shared.
func (rs *RuleSet) compact() {
	var nNodes, nKids, nFields, nPats int
	seen := map[*node]bool{}
	var count func(n *node)
	count = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		nNodes++
		nKids += len(n.kids)
		if n.fm != nil {
			nFields++
			nPats += len(n.fm.pats)
		}
		for _, k := range n.kids {
			count(k)
		}
	}
	for _, c := range rs.rules {
		count(c.root)
	}
	nodes := make([]node, 0, nNodes)
	kids := make([]*node, 0, nKids)
	fields := make([]fieldMatch, 0, nFields)
	pats := make([]pattern, 0, nPats)
	moved := map[*node]*node{}
	var cp func(n *node) *node
	cp = func(n *node) *node {
		if m, ok := moved[n]; ok {
			return m
		}
		nodes = append(nodes, *n)
		m := &nodes[len(nodes)-1]
		moved[n] = m
		if n.fm != nil {
			fields = append(fields, *n.fm)
			f := &fields[len(fields)-1]
			start := len(pats)
			pats = append(pats, n.fm.pats...)
			f.pats = pats[start:len(pats):len(pats)]
			m.fm = f
		}
		if len(n.kids) > 0 {
			start := len(kids)
			kids = append(kids, n.kids...)
			m.kids = kids[start:len(kids):len(kids)]
			for i, k := range n.kids {
				m.kids[i] = cp(k)
			}
		}
		return m
	}
	for _, c := range rs.rules {
		c.root = cp(c.root)
	}
}

// dropUnindexedPairs keeps pair ids only on patterns whose pair is some
// rule's prefilter: only those are looked for by the automata, so only
// their stamps can reject a pattern early.
func (rs *RuleSet) dropUnindexedPairs() {
	indexed := make([]bool, len(rs.pairs))
	for _, c := range rs.rules {
		for _, p := range c.pre {
			indexed[p] = true
		}
	}
	for _, c := range rs.rules {
		walkFields(c.root, func(fm *fieldMatch) {
			for i := range fm.pats {
				for _, p := range fm.pats[i].pairs {
					if !indexed[p] {
						fm.pats[i].pairs = nil
						break
					}
				}
			}
		})
	}
}

// cost estimates how expensive a node is to evaluate, so AND and OR test
// cheap operands first (both are commutative here: nothing has effects).
func cost(n *node) int {
	switch n.op {
	case opField:
		c := 0
		for _, p := range n.fm.pats {
			switch p.kind {
			case pRegex:
				c += 40
			case pGlob, pCIDR:
				c += 4
			default:
				c++
			}
		}
		if n.fm.field == anyField {
			c *= 20
		}
		return c
	}
	c := 0
	for _, k := range n.kids {
		c += cost(k)
	}
	return c
}

func orderByCost(n *node, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	for _, k := range n.kids {
		orderByCost(k, seen)
	}
	if n.op == opAnd || n.op == opOr {
		slices.SortStableFunc(n.kids, func(a, b *node) int { return cost(a) - cost(b) })
	}
}

// compileCorrelations resolves each correlation's rules by id or name
// among the loaded rules and the other correlations.
func (rs *RuleSet) compileCorrelations(rules []*Rule) []*RuleError {
	if len(rules) == 0 {
		return nil
	}
	byRef := map[string]int32{}
	for _, c := range rs.rules {
		if c.ID != "" {
			byRef[c.ID] = c.index
		}
		if c.Name != "" {
			byRef[c.Name] = c.index
		}
	}
	base := int32(len(rs.rules))
	for i, r := range rules {
		if r.ID != "" {
			byRef[r.ID] = base + int32(i)
		}
		if r.Name != "" {
			byRef[r.Name] = base + int32(i)
		}
	}
	var errs []*RuleError
	rs.corrByRef = map[int32][]int{}
	rs.suppressed = make([]bool, len(rs.rules))
	for _, r := range rules {
		cr := &corrRule{Compiled: &Compiled{Rule: r, index: -1}, c: r.Correlation}
		cr.Level, _ = ParseLevel(r.Level)
		var missing []string
		for _, ref := range r.Correlation.Rules {
			idx, ok := byRef[ref]
			if !ok {
				missing = append(missing, ref)
				continue
			}
			cr.refs = append(cr.refs, idx)
		}
		if len(missing) > 0 {
			errs = append(errs, &RuleError{Path: r.Path, ID: r.ID, Title: r.Title, Err: fmt.Errorf("correlation refers to rules not loaded: %s", strings.Join(missing, ", "))})
			continue
		}
		ci := len(rs.corrs)
		rs.corrs = append(rs.corrs, cr)
		for _, ref := range cr.refs {
			rs.corrByRef[ref] = append(rs.corrByRef[ref], ci)
			if ref < base && !r.Correlation.Generate {
				rs.suppressed[ref] = true
			}
		}
	}
	// Correlations are numbered by their place in rules; remap the
	// references to correlations dropped above.
	kept := map[*Rule]int{}
	for i, cr := range rs.corrs {
		kept[cr.Rule] = i
	}
	remap := map[int32]int32{}
	for i, r := range rules {
		if j, ok := kept[r]; ok {
			remap[base+int32(i)] = base + int32(j)
		}
	}
	fixed := map[int32][]int{}
	for ref, cs := range rs.corrByRef {
		if ref >= base {
			nr, ok := remap[ref]
			if !ok {
				continue
			}
			ref = nr
		}
		fixed[ref] = append(fixed[ref], cs...)
	}
	rs.corrByRef = fixed
	for _, cr := range rs.corrs {
		for i, ref := range cr.refs {
			if ref >= base {
				cr.refs[i] = remap[ref]
			}
		}
	}
	return errs
}

// Correlations returns the loaded correlation rules.
func (rs *RuleSet) Correlations() []*Compiled {
	out := make([]*Compiled, len(rs.corrs))
	for i, c := range rs.corrs {
		out[i] = c.Compiled
	}
	return out
}
