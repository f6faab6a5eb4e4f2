package sigma

import (
	"slices"
	"strconv"
	"strings"
)

// bucketKey identifies the events that share one set of applicable rules:
// Windows events by channel (as written in the event) and EventID, other
// events by their logsource hints.
type bucketKey struct {
	channel                    string
	eventID                    int
	product, service, category string
}

// bucket is the program for one kind of event: the rules that apply, an
// Aho-Corasick automaton over their prefilter literals (field literals and
// keyword literals together, so each value is scanned once), and which
// rules each literal found in which field wakes up.
type bucket struct {
	rules      []int32 // sorted
	always     []int32 // rules without a prefilter, sorted
	ac         *acMachine
	patRefs    [][]pairRef // per pattern of ac
	scanFields []int32
	// Keyword literals are in ac too (fields rules name are scanned once
	// for both); kw, over keyword literals only, scans the other values.
	kw     *acMachine
	kwRefs [][]pairRef
	inScan []bool // by field id: scanned by ac
	// kwNonASCII are the keyword refs of nonASCII.
	kwNonASCII []pairRef
	// Literals with no ASCII at all (homoglyph lists) are not in the
	// automaton; any non-ASCII byte in a field stands in for them.
	nonASCII []pairRef
}

// acWindow is how many bytes of a literal the automaton looks for. Any
// window of a literal is a necessary condition for it, and a short one
// keeps the automaton small enough for the cache; the tail is kept because
// it tells paths apart ("...\\rundll32.exe").
const acWindow = 16

type pairRef struct {
	pair  int32
	field int32
	trig  []int32 // rules for which this pair is a prefilter
}

// maxBuckets bounds the bucket cache so odd channel/EventID mixes cannot
// grow it without end; past it buckets are still found, just not cached.
const maxBuckets = 1 << 14

func (rs *RuleSet) lookupBucket(k bucketKey) *bucket {
	if b, ok := (*rs.buckets.Load())[k]; ok {
		return b
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	cur := *rs.buckets.Load()
	if b, ok := cur[k]; ok {
		return b
	}
	ids := rs.rulesFor(k)
	sig := sigOf(ids)
	b, ok := rs.bySig[sig]
	if !ok {
		b = rs.buildBucket(ids)
		rs.bySig[sig] = b
	}
	if len(cur) < maxBuckets {
		next := make(map[bucketKey]*bucket, len(cur)+1)
		for kk, vv := range cur {
			next[kk] = vv
		}
		next[k] = b
		rs.buckets.Store(&next)
	}
	return b
}

func sigOf(ids []int32) string {
	var sb strings.Builder
	for _, id := range ids {
		sb.WriteString(strconv.Itoa(int(id)))
		sb.WriteByte(',')
	}
	return sb.String()
}

func (rs *RuleSet) rulesFor(k bucketKey) []int32 {
	var ids []int32
	if k.channel != "" {
		ids = append(ids, rs.winAll...)
		for _, ch := range []string{strings.ToLower(k.channel), ""} {
			if wc := rs.winChan[ch]; wc != nil {
				ids = append(ids, wc.any...)
				ids = append(ids, wc.byID[k.eventID]...)
			}
		}
	} else {
		for _, p := range []string{k.product, ""} {
			for _, s := range []string{k.service, ""} {
				for _, c := range []string{k.category, ""} {
					if p == "" && s == "" && c == "" {
						continue
					}
					ids = append(ids, rs.other[lsKey{p, s, c}]...)
				}
			}
		}
		if k.product == "windows" {
			ids = append(ids, rs.winAll...)
		}
		if k.product == "linux" && k.service != "" && k.service != "syslog" && k.service != "auditd" {
			// A Linux program's log line is syslog too: rules for the
			// syslog service (named's, "stopping iptables") apply to it
			// as to the lines the parser could not name a service for.
			ids = append(ids, rs.other[lsKey{"linux", "syslog", ""}]...)
			ids = append(ids, rs.other[lsKey{"", "syslog", ""}]...)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (rs *RuleSet) buildBucket(ids []int32) *bucket {
	b := &bucket{rules: ids}
	type side struct {
		idx      map[string]int
		lits     []string
		refs     [][]pairRef
		nonASCII []pairRef
	}
	add := func(sd *side, lit string, ref pairRef) {
		i, ok := sd.idx[lit]
		if !ok {
			i = len(sd.lits)
			sd.idx[lit] = i
			sd.lits = append(sd.lits, lit)
			sd.refs = append(sd.refs, nil)
		}
		sd.refs[i] = append(sd.refs[i], ref)
	}
	all := &side{idx: map[string]int{}}
	kw := &side{idx: map[string]int{}}
	trig := map[int32][]int32{}
	seenPair := map[int32]bool{}
	fields := map[int32]bool{}
	for _, ri := range ids {
		c := rs.rules[ri]
		if len(c.pre) == 0 {
			b.always = append(b.always, ri)
		}
		for _, p := range c.pre {
			trig[p] = append(trig[p], ri)
		}
	}
	for _, ri := range ids {
		walkFields(rs.rules[ri].root, func(fm *fieldMatch) {
			for _, p := range fm.pats {
				for _, pr := range p.pairs {
					if seenPair[pr] {
						continue
					}
					seenPair[pr] = true
					pk := rs.pairs[pr]
					ref := pairRef{pair: pr, field: pk.field, trig: trig[pr]}
					if pk.field != anyField {
						fields[pk.field] = true
					}
					if pk.lit == nonASCIILit {
						all.nonASCII = append(all.nonASCII, ref)
						continue
					}
					lit := acLiteral(pk.lit)
					add(all, lit, ref)
					if pk.field == anyField {
						add(kw, lit, ref)
					}
				}
			}
		})
	}
	b.nonASCII = all.nonASCII
	for _, r := range all.nonASCII {
		if r.field == anyField {
			b.kwNonASCII = append(b.kwNonASCII, r)
		}
	}
	if len(all.lits) > 0 {
		b.ac, b.patRefs = newACMachine(all.lits), all.refs
	}
	if len(kw.lits) > 0 || len(b.kwNonASCII) > 0 {
		b.kw, b.kwRefs = newACMachine(kw.lits), kw.refs
	}
	b.inScan = make([]bool, len(rs.fieldNames))
	for f := range fields {
		b.scanFields = append(b.scanFields, f)
		b.inScan[f] = true
	}
	slices.Sort(b.scanFields)
	return b
}

// acLiteral picks the part of a literal the automaton looks for: the tail
// (up to acWindow bytes) of its longest ASCII run. Keeping non-ASCII bytes
// out of the automaton halves its byte classes, and lets it scan raw
// values: folding never turns a non-ASCII byte into an ASCII one (see
// appendLower), so the ASCII bytes of a folded value are the raw value's,
// lowered.
func acLiteral(lit string) string {
	bestStart, bestLen := 0, 0
	for i := 0; i < len(lit); {
		if lit[i] >= 0x80 {
			i++
			continue
		}
		j := i
		for j < len(lit) && lit[j] < 0x80 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	if bestLen == 0 {
		return lit
	}
	run := lit[bestStart : bestStart+bestLen]
	if len(run) > acWindow {
		run = run[len(run)-acWindow:]
	}
	return run
}

// nonASCIILit stands for every literal without an ASCII byte.
const nonASCIILit = "\x80"

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func hasASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			return true
		}
	}
	return false
}

func walkFields(n *node, fn func(*fieldMatch)) {
	if n.fm != nil {
		fn(n.fm)
	}
	for _, k := range n.kids {
		walkFields(k, fn)
	}
}

// CountApplicable reports how many loaded rules apply to Windows events of
// channel with any of eventIDs (the union), for a hunt's "why nothing
// matched" summary. The channel is taken as the events carry it;
// forwarded events are resolved by the caller with SourceChannel.
func (rs *RuleSet) CountApplicable(channel string, eventIDs []int) int {
	seen := map[int32]bool{}
	for _, id := range eventIDs {
		for _, r := range rs.rulesFor(bucketKey{channel: channel, eventID: id}) {
			seen[r] = true
		}
	}
	return len(seen)
}

// Source names one kind of event a hunt saw: a Windows channel with the
// EventIDs seen in it, or logsource hints.
type Source struct {
	Channel                    string
	EventIDs                   []int
	Product, Service, Category string
}

// CountApplicableSources counts the distinct rules that apply to at least
// one of the sources (a file's, for its summary line).
func (rs *RuleSet) CountApplicableSources(srcs []Source) int {
	seen := map[int32]bool{}
	for _, s := range srcs {
		if s.Channel == "" {
			if s.Product == "" && s.Service == "" && s.Category == "" {
				continue
			}
			for _, r := range rs.rulesFor(bucketKey{product: s.Product, service: s.Service, category: s.Category}) {
				seen[r] = true
			}
			continue
		}
		for _, id := range s.EventIDs {
			for _, r := range rs.rulesFor(bucketKey{channel: s.Channel, eventID: id}) {
				seen[r] = true
			}
		}
	}
	return len(seen)
}

// CountApplicableOther is CountApplicable for events routed by their
// logsource hints (product, service, category) instead of a channel.
func (rs *RuleSet) CountApplicableOther(product, service, category string) int {
	if product == "" && service == "" && category == "" {
		return 0
	}
	return len(rs.rulesFor(bucketKey{product: product, service: service, category: category}))
}
