package scan

import (
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Indicator is one known-bad value.
type Indicator struct {
	Type    string `json:"type"` // sha256, ip, cidr, domain
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
}

// Indicator types the scan matches.
const (
	TypeSHA256 = "sha256"
	TypeIP     = "ip"
	TypeCIDR   = "cidr"
	TypeDomain = "domain"
)

// Matcher answers whether a value is a known indicator. *Set implements it;
// the hub's indicator library (internal/detect/ioc) can stand behind it too.
type Matcher interface {
	MatchHash(sum *[32]byte) (Indicator, bool)
	MatchIP(addr netip.Addr) (Indicator, bool)
	MatchDomain(name string) (Indicator, bool)
}

// HashSet is a set of SHA-256 digests built for constant-time lookup: an
// open-addressing table, at most half full, of 16-bit fingerprints (the
// digests' first bytes), placed by their next 64 bits. Digests are
// uniformly distributed, so a lookup that misses (nearly every file is
// clean) reads one slot, one cache line, whether the set holds ten digests
// or ten million; only a fingerprint match (1 in 65,535 misses) reads the
// whole digest. The table is 4 bytes a digest (2 MiB slots for a million
// digests: 4 MiB), small enough to stay in the last-level cache.
type HashSet struct {
	fp   []uint16 // 0 marks an empty slot
	ids  []int32  // input position of the digest in each slot
	sums [][32]byte
	mask uint64
	n    int
}

// NewHashSet builds a set from sums. Lookup returns the position in sums of
// a match (the first, for duplicates).
func NewHashSet(sums [][32]byte) *HashSet {
	size := 16
	for size < 2*len(sums) {
		size <<= 1
	}
	h := &HashSet{fp: make([]uint16, size), ids: make([]int32, size), sums: sums, mask: uint64(size - 1)}
	for i := range sums {
		f, slot := h.place(&sums[i])
		for h.fp[slot] != 0 {
			if h.fp[slot] == f && sums[h.ids[slot]] == sums[i] {
				break // duplicate: keep the first
			}
			slot = (slot + 1) & h.mask
		}
		if h.fp[slot] == 0 {
			h.fp[slot], h.ids[slot] = f, int32(i)
			h.n++
		}
	}
	return h
}

func (h *HashSet) place(sum *[32]byte) (fp uint16, slot uint64) {
	fp = binary.BigEndian.Uint16(sum[:2])
	if fp == 0 {
		fp = 1
	}
	return fp, binary.BigEndian.Uint64(sum[8:16]) & h.mask
}

// Lookup returns the input position of sum, if the set holds it.
func (h *HashSet) Lookup(sum *[32]byte) (int, bool) {
	if h == nil || h.n == 0 {
		return 0, false
	}
	f, slot := h.place(sum)
	for {
		g := h.fp[slot]
		if g == 0 {
			return 0, false
		}
		if g == f && h.sums[h.ids[slot]] == *sum {
			return int(h.ids[slot]), true
		}
		slot = (slot + 1) & h.mask
	}
}

// Len is the number of distinct digests.
func (h *HashSet) Len() int {
	if h == nil {
		return 0
	}
	return h.n
}

// Set is an in-memory indicator set: SHA-256 digests, IP addresses and
// prefixes, and domains (a domain matches its subdomains too).
type Set struct {
	hashes    *HashSet
	hashInds  []Indicator
	ips       map[netip.Addr]Indicator
	prefixes  []netip.Prefix
	prefInds  []Indicator
	domains   map[string]Indicator
	pending   [][32]byte
	Unmatched int // indicators of types the scan cannot match (md5, sha1, url, ...)
}

// NewSet returns an empty set; an empty set matches nothing.
func NewSet() *Set {
	return &Set{ips: map[netip.Addr]Indicator{}, domains: map[string]Indicator{}}
}

// Add adds one indicator. Types are case-insensitive; "sha256", "hash",
// "file_sha256" are digests; "ip", "ipv4", "ipv6", "ip-dst", "ip-src" are
// addresses (or prefixes with a '/'); "domain", "hostname", "fqdn" are
// names. md5, sha1, url and other types are counted in Unmatched.
func (s *Set) Add(ind Indicator) error {
	v := strings.TrimSpace(ind.Value)
	switch t := strings.ToLower(strings.TrimSpace(ind.Type)); t {
	case "sha256", "hash", "file_sha256", "sha-256":
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != 32 {
			return fmt.Errorf("value: not a SHA-256 (64 hex digits): %q", short(v))
		}
		ind.Type, ind.Value = TypeSHA256, strings.ToLower(v)
		s.pending = append(s.pending, [32]byte(b))
		s.hashInds = append(s.hashInds, ind)
		s.hashes = nil
	case "ip", "ipv4", "ipv6", "ip-dst", "ip-src", "cidr", "ipv4-addr", "ipv6-addr":
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return fmt.Errorf("value: not an IP prefix: %q", short(v))
			}
			ind.Type, ind.Value = TypeCIDR, p.Masked().String()
			s.prefixes = append(s.prefixes, p.Masked())
			s.prefInds = append(s.prefInds, ind)
			return nil
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("value: not an IP address: %q", short(v))
		}
		ind.Type, ind.Value = TypeIP, a.Unmap().String()
		s.ips[a.Unmap()] = ind
	case "domain", "hostname", "fqdn", "domain-name":
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if d == "" || strings.ContainsAny(d, " /:") {
			return fmt.Errorf("value: not a domain name: %q", short(v))
		}
		ind.Type, ind.Value = TypeDomain, d
		s.domains[d] = ind
	case "md5", "sha1", "sha-1", "url", "email", "filename", "sha512", "ssdeep", "imphash", "ja3":
		s.Unmatched++
	case "":
		return errors.New("type: empty")
	default:
		return fmt.Errorf("type: unknown indicator type %q", short(t))
	}
	return nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func (s *Set) build() {
	if s.hashes == nil {
		s.hashes = NewHashSet(s.pending)
	}
}

// Freeze builds the lookup tables; call it once after the last Add and
// before matching from several goroutines.
func (s *Set) Freeze() { s.build() }

// MatchHash implements Matcher.
func (s *Set) MatchHash(sum *[32]byte) (Indicator, bool) {
	s.build()
	if i, ok := s.hashes.Lookup(sum); ok {
		return s.hashInds[i], true
	}
	return Indicator{}, false
}

// MatchIP implements Matcher.
func (s *Set) MatchIP(a netip.Addr) (Indicator, bool) {
	a = a.Unmap()
	if ind, ok := s.ips[a]; ok {
		return ind, true
	}
	for i, p := range s.prefixes {
		if p.Contains(a) {
			return s.prefInds[i], true
		}
	}
	return Indicator{}, false
}

// MatchDomain implements Matcher: name or any parent domain of it.
func (s *Set) MatchDomain(name string) (Indicator, bool) {
	d := strings.TrimSuffix(strings.ToLower(name), ".")
	for d != "" {
		if ind, ok := s.domains[d]; ok {
			return ind, true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = rest
	}
	return Indicator{}, false
}

// Counts returns how many digests, addresses and prefixes, and domains the
// set holds.
func (s *Set) Counts() (hashes, ips, domains int) {
	s.build()
	return s.hashes.Len(), len(s.ips) + len(s.prefixes), len(s.domains)
}

// ParseError names the line and column of a bad indicator record.
type ParseError struct {
	File   string
	Line   int
	Column string
	Err    error
}

func (e *ParseError) Error() string {
	f := e.File
	if f == "" {
		f = "indicators"
	}
	if e.Column != "" {
		return fmt.Sprintf("%s:%d: %s: %v", f, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", f, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ReadCSV adds the indicators of a CSV file "type,value[,comment]" to s. A
// header line "type,value,..." and lines starting with '#' are skipped. The
// first bad record stops the read with a *ParseError naming file (name),
// line and column.
func (s *Set) ReadCSV(r io.Reader, name string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &ParseError{File: name, Line: pe.Line, Err: pe.Err}
			}
			return &ParseError{File: name, Err: err}
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if strings.EqualFold(strings.TrimSpace(rec[0]), "type") {
				continue
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 2 {
			return &ParseError{File: name, Line: line, Column: "value", Err: errors.New("missing (want type,value[,comment])")}
		}
		ind := Indicator{Type: rec[0], Value: rec[1]}
		if len(rec) > 2 {
			ind.Comment = rec[2]
		}
		if err := s.Add(ind); err != nil {
			col, msg, _ := strings.Cut(err.Error(), ": ")
			return &ParseError{File: name, Line: line, Column: col, Err: errors.New(msg)}
		}
	}
}
