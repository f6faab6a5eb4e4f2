package ioc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unsafe"
)

// Builder collects indicators into a new Set. It is not safe for
// concurrent use. Entries are gathered in slices and the maps are made at
// their final size in Build, which spares rehashing ten million keys.
type Builder struct {
	comments []string
	commentM map[string]uint32
	arena    []byte
	// last comment seen: feeds repeat one comment over many rows.
	lastComment string
	lastMeta    uint32

	v4     []kv[uint32]
	v6     []kv[[16]byte]
	net4   [33][]kv[uint32]
	net6   [129][]kv[[16]byte]
	md5    []kv[[16]byte]
	sha1   []kv[[20]byte]
	sha256 []kv[[32]byte]
	strs   [numKinds][]kv[string]
}

type kv[K comparable] struct {
	k K
	m uint32
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{comments: []string{""}, commentM: map[string]uint32{"": 0}}
}

func toMap[K comparable](s []kv[K]) map[K]uint32 {
	m := make(map[K]uint32, len(s))
	for _, e := range s {
		m[e.k] = e.m
	}
	return m
}

// ParseKind reads an indicator type: a STIX observable name (ipv4-addr,
// file:sha256, ...) or a short alias (ip, cidr, domain, md5, ...).
func ParseKind(t string) (Kind, bool) {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "ip", "cidr", "ipv4-addr", "ipv6-addr", "ipv4", "ipv6", "ip-src", "ip-dst", "ip-addr":
		return KindIP, true
	case "domain", "domain-name", "fqdn":
		return KindDomain, true
	case "url", "uri":
		return KindURL, true
	case "md5", "file:md5", "file:hashes.md5":
		return KindMD5, true
	case "sha1", "sha-1", "file:sha1", "file:sha-1", "file:hashes.sha1", "file:hashes.sha-1":
		return KindSHA1, true
	case "sha256", "sha-256", "file:sha256", "file:sha-256", "file:hashes.sha256", "file:hashes.sha-256":
		return KindSHA256, true
	case "account", "user-account", "user", "username":
		return KindAccount, true
	case "hostname", "host":
		return KindHostname, true
	case "email", "email-addr", "e-mail":
		return KindEmail, true
	}
	return 0, false
}

// Error sentinels for bad values, wrapped with the value.
var (
	ErrBadValue = errors.New("bad indicator value")
	ErrBadType  = errors.New("unknown indicator type")
)

// Add adds one indicator. The value is checked and normalised for its
// kind; a bad value is an error wrapping ErrBadValue and adds nothing.
func (b *Builder) Add(k Kind, value, comment string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return fmt.Errorf("%w: empty", ErrBadValue)
	}
	meta := b.comment(comment)
	switch k {
	case KindIP:
		if strings.IndexByte(value, '/') >= 0 {
			p, err := parseNet(value)
			if err != nil {
				return err
			}
			a, l := p.Addr(), p.Bits()
			if a.Is4() {
				b4 := a.As4()
				b.net4[l] = append(b.net4[l], kv[uint32]{uint32(b4[0])<<24 | uint32(b4[1])<<16 | uint32(b4[2])<<8 | uint32(b4[3]), meta})
			} else {
				b.net6[l] = append(b.net6[l], kv[[16]byte]{a.As16(), meta})
			}
			break
		}
		a, err := checkAddr(value)
		if err != nil {
			return err
		}
		if a.Is4() {
			b4 := a.As4()
			b.v4 = append(b.v4, kv[uint32]{uint32(b4[0])<<24 | uint32(b4[1])<<16 | uint32(b4[2])<<8 | uint32(b4[3]), meta})
		} else {
			b.v6 = append(b.v6, kv[[16]byte]{a.WithZone("").As16(), meta})
		}
	case KindMD5, KindSHA1, KindSHA256:
		if err := checkHashLen(k, value); err != nil {
			return err
		}
		var ok bool
		switch k {
		case KindMD5:
			var h [16]byte
			if ok = decodeHex(h[:], value); ok {
				b.md5 = append(b.md5, kv[[16]byte]{h, meta})
			}
		case KindSHA1:
			var h [20]byte
			if ok = decodeHex(h[:], value); ok {
				b.sha1 = append(b.sha1, kv[[20]byte]{h, meta})
			}
		default:
			var h [32]byte
			if ok = decodeHex(h[:], value); ok {
				b.sha256 = append(b.sha256, kv[[32]byte]{h, meta})
			}
		}
		if !ok {
			return errNotHex(value)
		}
	case KindDomain, KindHostname:
		var buf [256]byte
		d, err := normHost(k, value, &buf)
		if err != nil {
			return err
		}
		b.strs[k] = append(b.strs[k], kv[string]{b.intern(d), meta})
	case KindURL:
		n, err := normURL(value)
		if err != nil {
			return err
		}
		b.strs[k] = append(b.strs[k], kv[string]{b.intern(string(n)), meta})
	case KindEmail:
		v, err := normEmail(value)
		if err != nil {
			return err
		}
		b.strs[k] = append(b.strs[k], kv[string]{b.intern(v), meta})
	case KindAccount:
		b.strs[k] = append(b.strs[k], kv[string]{b.intern(strings.ToLower(value)), meta})
	default:
		return fmt.Errorf("%w: kind %d", ErrBadType, k)
	}
	return nil
}

func (b *Builder) comment(c string) uint32 {
	if c == b.lastComment {
		return b.lastMeta
	}
	if m, ok := b.commentM[c]; ok {
		b.lastComment, b.lastMeta = b.comments[m], m
		return m
	}
	m := uint32(len(b.comments))
	c = strings.Clone(c)
	b.commentM[c] = m
	b.comments = append(b.comments, c)
	b.lastComment, b.lastMeta = c, m
	return m
}

// intern copies v into a large shared buffer so ten million keys are a
// few hundred allocations, not ten million.
func (b *Builder) intern(v string) string {
	if len(v) > 4096 {
		return strings.Clone(v)
	}
	if cap(b.arena)-len(b.arena) < len(v) {
		b.arena = make([]byte, 0, 1<<20)
	}
	start := len(b.arena)
	b.arena = append(b.arena, v...)
	if len(v) == 0 {
		return ""
	}
	return unsafe.String(&b.arena[start], len(v))
}

// merge appends o's indicators after b's, as if added to b in order.
func (b *Builder) merge(o *Builder) {
	remap := make([]uint32, len(o.comments))
	for i, c := range o.comments {
		remap[i] = b.comment(c)
	}
	b.v4 = appendRemapped(b.v4, o.v4, remap)
	b.v6 = appendRemapped(b.v6, o.v6, remap)
	b.md5 = appendRemapped(b.md5, o.md5, remap)
	b.sha1 = appendRemapped(b.sha1, o.sha1, remap)
	b.sha256 = appendRemapped(b.sha256, o.sha256, remap)
	for l := range o.net4 {
		b.net4[l] = appendRemapped(b.net4[l], o.net4[l], remap)
	}
	for l := range o.net6 {
		b.net6[l] = appendRemapped(b.net6[l], o.net6[l], remap)
	}
	for k := range o.strs {
		b.strs[k] = appendRemapped(b.strs[k], o.strs[k], remap)
	}
}

func appendRemapped[K comparable](dst, src []kv[K], remap []uint32) []kv[K] {
	if len(dst) == 0 && len(src) > 0 {
		dst = make([]kv[K], 0, len(src))
	}
	for _, e := range src {
		dst = append(dst, kv[K]{e.k, remap[e.m]})
	}
	return dst
}

// Build makes the set. The Builder is empty afterwards and may be reused.
// A value given twice keeps its last comment.
func (b *Builder) Build() *Set {
	s := &Set{comments: b.comments}
	// Each kind's map is built on its own goroutine: on ten million
	// indicators inserting is half the load time, and the kinds do not
	// share anything.
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	run(func() { s.v4 = toMap(b.v4) })
	run(func() { s.v6 = toMap(b.v6) })
	run(func() { s.md5 = toMap(b.md5) })
	run(func() { s.sha1 = toMap(b.sha1) })
	run(func() { s.sha256 = newDigestSet(b.sha256) })
	for k := range b.strs {
		if len(b.strs[k]) > 0 {
			run(func() { s.strs[k] = toMap(b.strs[k]) })
		}
	}
	run(func() {
		for l := 32; l >= 0; l-- {
			if len(b.net4[l]) > 0 {
				s.net4[l] = toMap(b.net4[l])
				s.lens4 = append(s.lens4, l)
			}
		}
		for l := 128; l >= 0; l-- {
			if len(b.net6[l]) > 0 {
				s.net6[l] = toMap(b.net6[l])
				s.lens6 = append(s.lens6, l)
			}
		}
	})
	wg.Wait()
	s.count[KindIP] = len(s.v4) + len(s.v6)
	for _, l := range s.lens4 {
		s.count[KindIP] += len(s.net4[l])
	}
	for _, l := range s.lens6 {
		s.count[KindIP] += len(s.net6[l])
	}
	s.count[KindMD5], s.count[KindSHA1], s.count[KindSHA256] = len(s.md5), len(s.sha1), s.sha256.len()
	for _, k := range []Kind{KindDomain, KindURL, KindAccount, KindHostname, KindEmail} {
		s.count[k] = len(s.strs[k])
	}
	*b = *NewBuilder()
	return s
}

// normURLInto appends the normal form of a URL to dst: scheme and host
// folded to lower case, the fragment dropped, a lone "/" path dropped.
func normURLInto(u string, dst []byte) ([]byte, bool) {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 8192 {
		return nil, false
	}
	if i := strings.IndexByte(u, '#'); i >= 0 {
		// What was before the fragment may end in spaces ("x/ #y"):
		// trimmed, so a normalised URL normalises to itself.
		u = strings.TrimSpace(u[:i])
	}
	hostStart := 0
	if i := strings.Index(u, "://"); i > 0 {
		hostStart = i + 3
	}
	hostEnd := len(u)
	for i := hostStart; i < len(u); i++ {
		if c := u[i]; c == '/' || c == '?' {
			hostEnd = i
			break
		}
	}
	// A host ending in a space ("x: /", "http://a /b") is no URL's: taking
	// the space away could make another URL ("0: //" would read as
	// "0://"), and keeping it would not normalise to itself.
	if hostEnd == hostStart || unicode.IsSpace(rune(u[hostEnd-1])) {
		return nil, false
	}
	for i := 0; i < hostEnd; i++ {
		c := u[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	rest := u[hostEnd:]
	if rest == "/" {
		rest = ""
	}
	dst = append(dst, rest...)
	return dst, true
}
