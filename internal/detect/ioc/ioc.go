// Package ioc holds indicator sets (IP addresses and networks, domains,
// URLs, file hashes, accounts, hostnames, e-mail addresses) built for
// millions of entries and sub-microsecond lookups, loaders for CSV and STIX
// 2.x, and a matcher that checks the relevant fields of a detect.Event. A
// Set is immutable once built; Live swaps a whole Set atomically while
// lookups go on. The hub, the agent and `vigil detect` share it.
package ioc

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"unsafe"
)

// Kind is the type of an indicator.
type Kind uint8

const (
	KindIP     Kind = iota + 1 // an address or a network (CIDR)
	KindDomain                 // the domain and its subdomains
	KindURL
	KindMD5
	KindSHA1
	KindSHA256
	KindAccount
	KindHostname // a host name matched exactly
	KindEmail
	numKinds
)

var kindNames = [...]string{"", "ip", "domain", "url", "md5", "sha1", "sha256", "account", "hostname", "email"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// MarshalText writes the kind's name ("sha256", "ip", ...), so a Hit is
// {"type": "sha256", "value": ..., "comment": ...} in JSON.
func (k Kind) MarshalText() ([]byte, error) {
	if k == 0 || k >= numKinds {
		return nil, fmt.Errorf("ioc: no indicator kind %d", k)
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads any name ParseKind accepts ("cidr", "ipv4-addr",
// "file:sha256", ...).
func (k *Kind) UnmarshalText(b []byte) error {
	v, ok := ParseKind(string(b))
	if !ok {
		return fmt.Errorf("%w %q", ErrBadType, truncate(string(b), 40))
	}
	*k = v
	return nil
}

// Hit is an indicator found by a lookup: the evidence a finding carries.
type Hit struct {
	Kind      Kind   `json:"type"`
	Indicator string `json:"value"` // the indicator as stored (normalised): "10.0.0.0/8", "evil.com"
	Comment   string `json:"comment,omitempty"`
}

// Set is an immutable indicator set. Lookups are safe for concurrent use
// and allocate only when they report a hit.
type Set struct {
	v4     map[uint32]uint32
	v6     map[[16]byte]uint32
	net4   [33]map[uint32]uint32
	net6   [129]map[[16]byte]uint32
	lens4  []int // prefix lengths present, longest first
	lens6  []int
	strs   [numKinds]map[string]uint32 // domain, url, account, hostname, email
	md5    map[[16]byte]uint32
	sha1   map[[20]byte]uint32
	sha256 *digestSet // the agent hashes every file: the fastest lookup

	comments []string // meta value -> comment; 0 is ""
	count    [numKinds]int
}

// Len returns the number of indicators in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, c := range s.count {
		n += c
	}
	return n
}

// Count returns the number of indicators of one kind.
func (s *Set) Count(k Kind) int {
	if s == nil || k >= numKinds {
		return 0
	}
	return s.count[k]
}

func (s *Set) hit(k Kind, ind string, meta uint32) Hit {
	c := ""
	if int(meta) < len(s.comments) {
		c = s.comments[meta]
	}
	return Hit{Kind: k, Indicator: ind, Comment: c}
}

// LookupIP reports the indicator an address matches: the address itself or
// the longest network holding it.
func (s *Set) LookupIP(a netip.Addr) (Hit, bool) {
	if s == nil || !a.IsValid() {
		return Hit{}, false
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if m, ok := s.v4[v]; ok {
			return s.hit(KindIP, a.String(), m), true
		}
		for _, l := range s.lens4 {
			k := v & mask4(l)
			if m, ok := s.net4[l][k]; ok {
				return s.hit(KindIP, netip.PrefixFrom(a, l).Masked().String(), m), true
			}
		}
		return Hit{}, false
	}
	b := a.As16()
	if m, ok := s.v6[b]; ok {
		return s.hit(KindIP, a.WithZone("").String(), m), true
	}
	for _, l := range s.lens6 {
		k := mask16(b, l)
		if m, ok := s.net6[l][k]; ok {
			return s.hit(KindIP, netip.PrefixFrom(a.WithZone(""), l).Masked().String(), m), true
		}
	}
	return Hit{}, false
}

// LookupIPString parses s (an address, possibly with brackets or a port
// on IPv4) and looks it up.
func (s *Set) LookupIPString(v string) (Hit, bool) {
	a, ok := parseAddr(v)
	if !ok {
		return Hit{}, false
	}
	return s.LookupIP(a)
}

func mask4(l int) uint32 {
	if l == 0 {
		return 0
	}
	return ^uint32(0) << (32 - l)
}

func mask16(b [16]byte, l int) [16]byte {
	for i := 0; i < 16; i++ {
		switch {
		case l >= 8:
			l -= 8
		case l <= 0:
			b[i] = 0
		default:
			b[i] &= byte(0xff << (8 - l))
			l = 0
		}
	}
	return b
}

// LookupDomain reports the domain indicator d falls under: d itself or a
// parent domain ("a.evil.com" matches "evil.com").
func (s *Set) LookupDomain(d string) (Hit, bool) {
	if s == nil || len(s.strs[KindDomain]) == 0 {
		return Hit{}, false
	}
	var buf [256]byte
	d, ok := foldHost(d, &buf)
	if !ok {
		return Hit{}, false
	}
	m := s.strs[KindDomain]
	for {
		if meta, ok := m[d]; ok {
			return s.hit(KindDomain, strings.Clone(d), meta), true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return Hit{}, false
		}
		d = d[i+1:]
	}
}

// LookupHostname reports a hostname indicator equal to h (case-folded).
func (s *Set) LookupHostname(h string) (Hit, bool) {
	return s.lookupFolded(KindHostname, h)
}

// LookupEmail reports an e-mail indicator equal to e (case-folded).
func (s *Set) LookupEmail(e string) (Hit, bool) {
	return s.lookupFolded(KindEmail, trimEmail(e))
}

// LookupAccount reports an account indicator for a user name, trying it
// whole and without its domain ("CORP\alice", "alice@corp.example").
func (s *Set) LookupAccount(u string) (Hit, bool) {
	if s == nil || len(s.strs[KindAccount]) == 0 {
		return Hit{}, false
	}
	u = strings.TrimSpace(u)
	if h, ok := s.lookupFolded(KindAccount, u); ok {
		return h, true
	}
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		if h, ok := s.lookupFolded(KindAccount, u[i+1:]); ok {
			return h, true
		}
	}
	if i := strings.IndexByte(u, '@'); i > 0 {
		if h, ok := s.lookupFolded(KindAccount, u[:i]); ok {
			return h, true
		}
	}
	return Hit{}, false
}

// LookupURL reports a URL indicator equal to u after normalisation
// (scheme and host folded, fragment dropped).
func (s *Set) LookupURL(u string) (Hit, bool) {
	if s == nil || len(s.strs[KindURL]) == 0 {
		return Hit{}, false
	}
	var buf [2048]byte
	n, ok := normURLInto(u, buf[:0])
	if !ok {
		return Hit{}, false
	}
	if meta, ok := s.strs[KindURL][string(n)]; ok {
		return s.hit(KindURL, string(n), meta), true
	}
	return Hit{}, false
}

// LookupHash reports a hash indicator for a hex MD5, SHA-1 or SHA-256
// (the kind follows from the length).
func (s *Set) LookupHash(h string) (Hit, bool) {
	if s == nil {
		return Hit{}, false
	}
	h = strings.TrimSpace(h)
	switch len(h) {
	case 32:
		var k [16]byte
		if decodeHex(k[:], h) {
			if m, ok := s.md5[k]; ok {
				return s.hit(KindMD5, hex.EncodeToString(k[:]), m), true
			}
		}
	case 40:
		var k [20]byte
		if decodeHex(k[:], h) {
			if m, ok := s.sha1[k]; ok {
				return s.hit(KindSHA1, hex.EncodeToString(k[:]), m), true
			}
		}
	case 64:
		var k [32]byte
		if decodeHex(k[:], h) {
			return s.LookupSHA256(&k)
		}
	}
	return Hit{}, false
}

// LookupSHA256 reports a SHA-256 indicator for a digest. It is the
// agent's per-file lookup: a miss reads one slot of a table and never
// allocates, whatever the size of the set.
func (s *Set) LookupSHA256(sum *[32]byte) (Hit, bool) {
	if s == nil {
		return Hit{}, false
	}
	if m, ok := s.sha256.lookup(sum); ok {
		return s.hit(KindSHA256, hex.EncodeToString(sum[:]), m), true
	}
	return Hit{}, false
}

func (s *Set) lookupFolded(k Kind, v string) (Hit, bool) {
	if s == nil || len(s.strs[k]) == 0 || v == "" || len(v) > 512 {
		return Hit{}, false
	}
	var buf [512]byte
	f := foldInto(v, &buf)
	if meta, ok := s.strs[k][f]; ok {
		return s.hit(k, strings.Clone(f), meta), true
	}
	return Hit{}, false
}

// foldInto lowers ASCII letters of v into buf when needed; the result is
// only valid while buf is. Non-ASCII is left as is, as names are stored.
func foldInto(v string, buf *[512]byte) string {
	upper := false
	for i := 0; i < len(v); i++ {
		if c := v[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper || len(v) > len(buf) {
		return v
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return unsafe.String(&buf[0], len(v))
}

// foldHost trims and folds a host name into buf; false when it cannot be
// one.
func foldHost(d string, buf *[256]byte) (string, bool) {
	d = strings.TrimSpace(d)
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > len(buf) {
		return "", false
	}
	upper := false
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c <= ' ' || c == '/' {
			return "", false
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return d, true
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return unsafe.String(&buf[0], len(d)), true
}

func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// hexVal maps a byte to its hex digit value, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

func unhex(c byte) (byte, bool) {
	v := hexVal[c]
	return v, v != 0xff
}

// parseAddr reads an address from an event value: plain, bracketed IPv6,
// or IPv4 with a port. It rejects cheaply what cannot be an address, so no
// error value is built for ordinary text.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || len(s) > 64 {
		return netip.Addr{}, false
	}
	if s[0] == '[' {
		if i := strings.IndexByte(s, ']'); i > 0 {
			s = s[1:i]
		}
	}
	colons := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '.':
		case c == ':':
			colons++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '%':
		default:
			if c >= 'g' && c <= 'z' || c >= 'G' && c <= 'Z' {
				// zone names may follow %
				if strings.IndexByte(s[:i], '%') >= 0 {
					continue
				}
			}
			return netip.Addr{}, false
		}
	}
	if colons == 1 {
		// IPv4 with a port
		if i := strings.IndexByte(s, ':'); i > 0 {
			s = s[:i]
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
