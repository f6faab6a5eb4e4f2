package sigma

import (
	"net/netip"
	"slices"
	"strings"
	"unsafe"

	"vigil/internal/detect"
)

// Matcher runs a RuleSet over events. It keeps per-event scratch space so
// matching allocates nothing; use one Matcher per goroutine.
type Matcher struct {
	rs  *RuleSet
	gen uint32

	slots    []slot
	fieldPos []int32 // field id -> slot, valid when fieldGen == gen
	fieldGen []uint32
	pairGen  []uint32
	candGen  []uint32
	cands    []int32
	matched  []*Compiled
	buf      []byte // folded values and derived fields of the current event
	ev       *detect.Event
	// names caches field-name lookups by a cheap hash of the name's length
	// and a few of its bytes: events carry a few hundred distinct names,
	// so most lookups cost one short comparison (none when parsers hand
	// out the same string data) instead of a map lookup.
	names      [1024]nameEntry
	lastKey    bucketKey
	lastBucket *bucket
	// explaining turns off the prefilter stamps, which Explain does not
	// compute for rules outside the event's bucket.
	explaining bool
}

type nameEntry struct {
	name string
	id   int32
	ok   bool
}

// fieldID returns the id of a field name, if any rule names it.
func (m *Matcher) fieldID(name string) (int32, bool) {
	if len(name) == 0 {
		return 0, false
	}
	n := len(name)
	h := uint32(n) ^ uint32(name[0])<<3 ^ uint32(name[n-1])<<6 ^ uint32(name[n/2])<<9 ^ uint32(name[n*3/4])<<12
	h *= 0x9e3779b1
	e := &m.names[h>>22]
	if e.name == name {
		return e.id, e.ok
	}
	id, ok := m.rs.lookupField(name)
	*e = nameEntry{name: name, id: id, ok: ok}
	return id, ok
}

// lookupField finds the id of an event's field name as rules write it:
// exactly, else case-insensitively (rules and parsers do not always agree
// on case, "Commandline"; Sigma backends match field names so), else
// without its spaces: Sigma writes event field names that hold spaces
// without them (Defender's "Source Name", "Process Name", "Threat Name"
// are SourceName, ProcessName, ThreatName in SigmaHQ's rules).
func (rs *RuleSet) lookupField(name string) (int32, bool) {
	if id, ok := rs.fieldIDs[name]; ok {
		return id, true
	}
	if len(name) > 64 {
		return 0, false
	}
	var buf [64]byte
	n := 0
	spaces := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
		spaces = spaces || c == ' '
	}
	if id, ok := rs.foldedIDs[string(buf[:n])]; ok {
		return id, true
	}
	if !spaces {
		return 0, false
	}
	n = 0
	for i := 0; i < len(name); i++ {
		if c := buf[i]; c != ' ' {
			buf[n] = c
			n++
		}
	}
	id, ok := rs.foldedIDs[string(buf[:n])]
	return id, ok
}

type slot struct {
	field  int32 // field id or anyField when no rule names it
	val    string
	low    string
	lowGen uint32
}

// NewMatcher returns a Matcher for rs.
func (rs *RuleSet) NewMatcher() *Matcher {
	return &Matcher{
		rs:       rs,
		fieldPos: make([]int32, len(rs.fieldNames)),
		fieldGen: make([]uint32, len(rs.fieldNames)),
		pairGen:  make([]uint32, len(rs.pairs)),
		candGen:  make([]uint32, len(rs.rules)),
	}
}

func (m *Matcher) next() {
	m.gen++
	if m.gen == 0 {
		clear(m.fieldGen)
		clear(m.pairGen)
		clear(m.candGen)
		for i := range m.slots {
			m.slots[i].lowGen = 0
		}
		m.gen = 1
	}
}

// Match returns the rules that match ev, in load order. The slice belongs
// to the Matcher and is overwritten by the next call.
func (m *Matcher) Match(ev *detect.Event) []*Compiled {
	m.matched = m.matched[:0]
	b := m.load(ev)
	if b == nil || len(b.rules) == 0 {
		return m.matched
	}
	m.scan(b)
	for _, ri := range b.always {
		if m.candGen[ri] != m.gen {
			m.candGen[ri] = m.gen
			m.cands = append(m.cands, ri)
		}
	}
	slices.Sort(m.cands)
	for _, ri := range m.cands {
		c := m.rs.rules[ri]
		if m.eval(c.root) {
			m.matched = append(m.matched, c)
		}
	}
	return m.matched
}

// Applicable reports how many rules apply to events like ev (same channel
// and EventID, or same logsource hints), for the hunt summary.
func (m *Matcher) Applicable(ev *detect.Event) int {
	b := m.load(ev)
	if b == nil {
		return 0
	}
	return len(b.rules)
}

// load indexes the event's fields and finds its bucket.
func (m *Matcher) load(ev *detect.Event) *bucket {
	m.next()
	m.ev = ev
	m.buf = m.buf[:0]
	m.cands = m.cands[:0]
	rs := m.rs
	if cap(m.slots) < len(ev.Fields)+len(aliases4688) {
		m.slots = make([]slot, len(ev.Fields), len(ev.Fields)+len(aliases4688)+8)
	}
	m.slots = m.slots[:len(ev.Fields)]
	var channel, provider, eid string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		s := &m.slots[i]
		s.val, s.lowGen, s.field = f.Value, 0, anyField
		id, ok := m.fieldID(f.Name)
		if !ok {
			continue
		}
		s.field = id
		if m.fieldGen[id] != m.gen {
			m.fieldGen[id] = m.gen
			m.fieldPos[id] = int32(i)
			switch id {
			case rs.channelField:
				channel = f.Value
			case rs.providerField:
				provider = f.Value
			case rs.eventIDField:
				eid = f.Value
			}
		}
	}
	eventID := atoi(eid)
	k := bucketKey{eventID: eventID}
	if channel != "" {
		k.channel = SourceChannel(channel, provider, eventID)
		if eventID == 4688 && strings.EqualFold(k.channel, chSecurity) {
			m.addAliases(ev)
		}
	} else {
		k.product, k.service, k.category = ev.Product, ev.Service, ev.Category
		if k.product == "" && k.service == "" && k.category == "" {
			return nil
		}
	}
	// Events come in runs of one kind; the last bucket saves hashing the
	// key into the shared map.
	if m.lastBucket != nil && k == m.lastKey {
		return m.lastBucket
	}
	b := rs.lookupBucket(k)
	m.lastKey, m.lastBucket = k, b
	return b
}

// addAliases gives a Security 4688 event the Sysmon names process-creation
// rules use.
func (m *Matcher) addAliases(ev *detect.Event) {
	for i, a := range aliases4688 {
		id := m.rs.alias4688[i]
		if id < 0 {
			continue
		}
		var v string
		var ok bool
		if len(a.from) == 1 {
			v, ok = ev.Get(a.from[0])
		} else {
			d, ok1 := ev.Get(a.from[0])
			u, ok2 := ev.Get(a.from[1])
			if ok2 {
				ok = true
				start := len(m.buf)
				if ok1 && d != "" && d != "-" {
					m.buf = append(m.buf, d...)
					m.buf = append(m.buf, '\\')
				}
				m.buf = append(m.buf, u...)
				v = bytesString(m.buf[start:])
			}
		}
		if !ok {
			continue
		}
		m.slots = append(m.slots, slot{field: id, val: v})
		m.fieldGen[id] = m.gen
		m.fieldPos[id] = int32(len(m.slots) - 1)
	}
}

// bytesString views b as a string. The bytes live in m.buf, which is only
// rewritten after the event is done with.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func atoi(s string) int {
	n := 0
	if s == "" || len(s) > 9 {
		return -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func (m *Matcher) lowered(i int32) string {
	s := &m.slots[i]
	if s.lowGen == m.gen {
		return s.low
	}
	s.lowGen = m.gen
	if !needsLower(s.val) {
		s.low = s.val
		return s.low
	}
	start := len(m.buf)
	m.buf = appendLower(m.buf, s.val)
	s.low = bytesString(m.buf[start:])
	return s.low
}

// scan runs the bucket's automaton over the fields its rules name and
// stamps the (field, literal) pairs found.
func (m *Matcher) scan(b *bucket) {
	if b.ac == nil && b.nonASCII == nil {
		return
	}
	for _, f := range b.scanFields {
		if m.fieldGen[f] != m.gen {
			continue
		}
		m.scanValue(b.ac, b.patRefs, b.nonASCII, f, m.fieldPos[f])
	}
	if b.kw == nil {
		return
	}
	// Values ac did not scan still need the keywords looked for.
	for i := range m.slots {
		f := m.slots[i].field
		if f != anyField && b.inScan[f] && m.fieldPos[f] == int32(i) {
			continue
		}
		m.scanValue(b.kw, b.kwRefs, b.kwNonASCII, anyField, int32(i))
	}
}

// scanValue runs an automaton over the raw value: it folds ASCII capitals
// itself and holds only ASCII, so the value needs no folding first. A
// non-ASCII byte wakes the literals that are all non-ASCII.
func (m *Matcher) scanValue(ac *acMachine, refs [][]pairRef, nonASCII []pairRef, field, pos int32) {
	if pos < 0 {
		return
	}
	v := m.slots[pos].val
	if ac == nil || len(v) < ac.minLen {
		if nonASCII == nil {
			return
		}
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				m.stamp(nonASCII, field)
				return
			}
		}
		return
	}
	if ac.rare != nil && !hasRare(ac.rare, v) {
		if nonASCII != nil && hasNonASCII(v) {
			m.stamp(nonASCII, field)
		}
		return
	}
	classes := &ac.classes
	limit := ac.limit
	code := int32(0)
	var hi byte
	for i := 0; i < len(v); {
		var h byte
		i, code, h = ac.runDense(v, i, code)
		hi |= h
		// Deep states, then states with patterns, until the scan is back
		// among the dense states or the value ends.
		for {
			if code < 0 {
				t := ^code
				m.report(ac, refs, field, t)
				code = ac.plain(t)
			}
			if code < limit || i >= len(v) {
				break
			}
			c := v[i]
			i++
			hi |= c
			code = ac.stepDeep(code, classes[c])
		}
	}
	if hi >= 0x80 {
		m.stamp(nonASCII, field)
	}
}

// hasRare reports whether v holds a byte of rare.
func hasRare(rare *[256]bool, v string) bool {
	for i := 0; i < len(v); i++ {
		if rare[v[i]] {
			return true
		}
	}
	return false
}

func (m *Matcher) stamp(refs []pairRef, field int32) {
	for i := range refs {
		m.hitRef(&refs[i], field)
	}
}

func (m *Matcher) report(ac *acMachine, refs [][]pairRef, field int32, row int32) {
	for t := row; t >= 0; t = ac.dictLink[t] {
		for _, p := range ac.out[t] {
			m.hit(refs, p, field)
		}
	}
}

func (m *Matcher) hit(refs [][]pairRef, pat int32, field int32) {
	for i := range refs[pat] {
		m.hitRef(&refs[pat][i], field)
	}
}

func (m *Matcher) hitRef(r *pairRef, field int32) {
	if r.field != anyField && r.field != field {
		return
	}
	if m.pairGen[r.pair] == m.gen {
		return
	}
	m.pairGen[r.pair] = m.gen
	for _, ri := range r.trig {
		if m.candGen[ri] != m.gen {
			m.candGen[ri] = m.gen
			m.cands = append(m.cands, ri)
		}
	}
}

func (m *Matcher) eval(n *node) bool {
	switch n.op {
	case opField:
		return m.matchField(n.fm)
	case opAnd:
		for _, k := range n.kids {
			if !m.eval(k) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if m.eval(k) {
				return true
			}
		}
		return false
	case opNot:
		return !m.eval(n.kids[0])
	case opAtLeast:
		c := 0
		for _, k := range n.kids {
			if m.eval(k) {
				c++
				if c >= n.n {
					return true
				}
			}
		}
		return false
	case opTrue:
		return true
	}
	return false
}

func (m *Matcher) matchField(fm *fieldMatch) bool {
	if fm.field == anyField {
		// Keywords: each pattern is looked for in every value.
		for i := range fm.pats {
			p := &fm.pats[i]
			if p.inMulti {
				continue
			}
			found := false
			if p.pairs == nil || m.explaining || m.anyStamped(p.pairs) {
				for j := range m.slots {
					if m.matchPattern(p, int32(j)) {
						found = true
						break
					}
				}
			}
			if found && !fm.all {
				return true
			}
			if !found && fm.all {
				return false
			}
		}
		if fm.multi != nil {
			for j := range m.slots {
				if m.multiAny(fm.multi.get(), int32(j)) {
					return true
				}
			}
		}
		return fm.all && len(fm.pats) > 0
	}
	pos := int32(-1)
	if m.fieldGen[fm.field] == m.gen {
		pos = m.fieldPos[fm.field]
	}
	for i := range fm.pats {
		p := &fm.pats[i]
		if p.inMulti {
			continue
		}
		ok := false
		if p.pairs == nil || m.explaining || m.anyStamped(p.pairs) {
			// An exact pattern's stamp (there is one when pairs are
			// kept) is its match.
			ok = p.exact && p.pairs != nil && !m.explaining || m.matchPattern(p, pos)
		}
		if ok && !fm.all {
			return true
		}
		if !ok && fm.all {
			return false
		}
	}
	if fm.multi != nil && pos >= 0 {
		return m.multiAny(fm.multi.get(), pos)
	}
	return fm.all && len(fm.pats) > 0
}

// matchPattern tests one pattern against the value in slot pos (-1 when
// the field is missing).
func (m *Matcher) matchPattern(p *pattern, pos int32) bool {
	switch p.kind {
	case pNull:
		// Sigma's null: the field is absent (a JSON null is left out of
		// the event by the parsers). An empty value is '' in a rule.
		return pos < 0
	case pExists:
		return (pos >= 0) == (p.num != 0)
	case pNever:
		return false
	}
	if pos < 0 {
		return false
	}
	if p.kind == pLongRun {
		return hasLongRun(m.slots[pos].val, int(p.num), p.cased)
	}
	if p.ascii {
		// Compared raw: the value need not be folded.
		v := m.slots[pos].val
		switch p.kind {
		case pEq:
			return asciiFoldEq(v, p.s)
		case pPrefix:
			return len(v) >= len(p.s) && asciiFoldEq(v[:len(p.s)], p.s)
		case pSuffix:
			return len(v) >= len(p.s) && asciiFoldEq(v[len(v)-len(p.s):], p.s)
		}
	}
	var v string
	if p.cased {
		v = m.slots[pos].val
	} else {
		v = m.lowered(pos)
	}
	switch p.kind {
	case pEq:
		return v == p.s
	case pPrefix:
		return strings.HasPrefix(v, p.s)
	case pSuffix:
		return strings.HasSuffix(v, p.s)
	case pContains:
		return strings.Contains(v, p.s)
	case pGlob:
		return globMatch(p.glob, v)
	case pAny:
		return true
	case pRegex:
		raw := m.slots[pos].val
		if len(raw) < p.minLen {
			return false
		}
		// One of the literals every match holds must be there; short ones
		// are not in the automaton but strings.Contains is cheap.
		if p.lits != nil && p.pairs == nil && !containsAny(m.lowered(pos), p.lits) {
			return false
		}
		if p.rx != nil && !p.rx.possible(raw) {
			return false
		}
		return p.re.MatchString(raw)
	case pCIDR:
		a, ok := parseAddr(m.slots[pos].val)
		if !ok {
			return false
		}
		for _, n := range p.nets {
			if n.Contains(a) {
				return true
			}
		}
		return false
	case pLT, pLTE, pGT, pGTE:
		f, ok := parseNumber(m.slots[pos].val)
		if !ok {
			return false
		}
		switch p.kind {
		case pLT:
			return f < p.num
		case pLTE:
			return f <= p.num
		case pGT:
			return f > p.num
		default:
			return f >= p.num
		}
	case pFieldRef:
		if m.fieldGen[p.ref] != m.gen {
			return false
		}
		rp := m.fieldPos[p.ref]
		var r string
		if p.cased {
			r = m.slots[rp].val
		} else {
			r = m.lowered(rp)
		}
		switch p.refOp {
		case pPrefix:
			return strings.HasPrefix(v, r)
		case pSuffix:
			return strings.HasSuffix(v, r)
		case pContains:
			return strings.Contains(v, r)
		}
		return v == r
	}
	return false
}

// parseAddr parses an IP address, tolerating IPv6 brackets and zone, and
// rejecting quickly what cannot be one (so no error is built per event).
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':' || c == '%') {
			if c == '%' {
				break
			}
			return netip.Addr{}, false
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseNumber reads a decimal (optionally signed, with a fraction) or 0x
// hexadecimal number without allocating.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return 0, false
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var f float64
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		for i := 2; i < len(s); i++ {
			c := s[i]
			var d byte
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return 0, false
			}
			f = f*16 + float64(d)
		}
	} else {
		seenDigit, frac, scale := false, false, 1.0
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= '0' && c <= '9':
				seenDigit = true
				if frac {
					scale /= 10
					f += float64(c-'0') * scale
				} else {
					f = f*10 + float64(c-'0')
				}
			case c == '.' && !frac:
				frac = true
			default:
				return 0, false
			}
		}
		if !seenDigit {
			return 0, false
		}
	}
	if neg {
		f = -f
	}
	return f, true
}

// anyStamped reports whether one of the pairs was found in this event.
func (m *Matcher) anyStamped(pairs []int32) bool {
	for _, p := range pairs {
		if m.pairGen[p] == m.gen {
			return true
		}
	}
	return false
}

// hasLongRun reports whether s has n characters in a row, not counting
// across newlines unless dotAll.
func hasLongRun(s string, n int, dotAll bool) bool {
	if len(s) < n {
		return false
	}
	run := 0
	for _, r := range s {
		if r == '\n' && !dotAll {
			run = 0
			continue
		}
		run++
		if run >= n {
			return true
		}
	}
	return false
}

// multiAny runs a list's automaton over the raw value, which its byte
// classes fold for ASCII; a value with non-ASCII bytes is folded first.
func (m *Matcher) multiAny(ac *acMachine, pos int32) bool {
	v := m.slots[pos].val
	if len(v) < ac.minLen {
		return false
	}
	classes := &ac.classes
	code := int32(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return ac.any(m.lowered(pos))
		}
		code = ac.step(code, classes[c])
		if code < 0 {
			return true
		}
	}
	return false
}

func containsAny(v string, lits []string) bool {
	for _, l := range lits {
		if strings.Contains(v, l) {
			return true
		}
	}
	return false
}
