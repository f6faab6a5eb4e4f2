package ioc

import (
	"strings"
	"sync/atomic"

	"vigil/internal/detect"
)

// Live holds the current Set; Replace swaps in a new one atomically, so
// matchers keep running on the old set until their next lookup.
type Live struct{ p atomic.Pointer[Set] }

// Load returns the current set (nil before the first Replace).
func (l *Live) Load() *Set { return l.p.Load() }

// Replace installs s and returns the previous set.
func (l *Live) Replace(s *Set) *Set { return l.p.Swap(s) }

// Match is an indicator found in an event field.
type Match struct {
	Hit
	Field string // field name
	Value string // the field's value
}

// fieldClass says which lookups apply to a field.
type fieldClass uint16

const (
	cIP fieldClass = 1 << iota
	cDomain
	cURL
	cHash
	cHashes // Sysmon "SHA1=..,MD5=..,SHA256=.." lists
	cAccount
	cHostname
	cEmail
)

// classify decides from a field's name which indicator kinds it can
// carry, following Sigma's Windows names and ECS-like dotted names.
func classify(name string) fieldClass {
	n := strings.ToLower(name)
	switch n {
	case "hashes":
		return cHashes
	case "computer", "workstationname", "workstation", "computername", "host.name", "host.hostname", "hostname", "machinename", "source.domain":
		return cHostname | cDomain
	case "user", "targetusername", "subjectusername", "accountname", "samaccountname", "user.name", "username", "targetuser", "account", "source.user.name", "destination.user.name", "subjectaccountname":
		return cAccount
	case "queryname", "destinationhostname", "sourcehostname", "dns.question.name", "url.domain", "destination.domain", "server_name", "sni", "tls.sni", "query", "dns.rrname", "http.hostname", "host", "domain":
		return cDomain | cIP
	case "src", "dst", "source", "destination", "client", "server":
		return cIP
	}
	var c fieldClass
	if strings.HasSuffix(n, "ip") || strings.HasSuffix(n, "ipaddress") || strings.HasSuffix(n, ".ip") || strings.HasSuffix(n, "_ip") ||
		strings.HasSuffix(n, "addr") || (strings.HasSuffix(n, "address") && !strings.Contains(n, "mail")) {
		c |= cIP
	}
	if strings.Contains(n, "url") || strings.Contains(n, "uri") {
		c |= cURL | cDomain
	}
	if strings.Contains(n, "hash") || n == "md5" || n == "sha1" || n == "sha256" || strings.HasSuffix(n, ".md5") || strings.HasSuffix(n, ".sha1") || strings.HasSuffix(n, ".sha256") || strings.HasSuffix(n, "imphash") {
		c |= cHash
	}
	if strings.Contains(n, "mail") || n == "sender" || n == "recipient" || strings.HasSuffix(n, ".from") || strings.HasSuffix(n, ".to") {
		c |= cEmail
	}
	if strings.HasSuffix(n, "hostname") {
		c |= cHostname | cDomain
	}
	return c
}

// Matcher checks events against a Live set. It caches how each field name
// is classified; use one per goroutine.
type Matcher struct {
	live    *Live
	classes map[string]fieldClass
	out     []Match
}

// NewMatcher returns a matcher over live.
func NewMatcher(live *Live) *Matcher {
	return &Matcher{live: live, classes: map[string]fieldClass{}}
}

// Match returns the indicators found in ev. The slice belongs to the
// Matcher and is overwritten by the next call.
func (m *Matcher) Match(ev *detect.Event) []Match {
	m.out = m.out[:0]
	s := m.live.Load()
	if s == nil || s.Len() == 0 {
		return m.out
	}
	for i := range ev.Fields {
		f := &ev.Fields[i]
		if f.Value == "" {
			continue
		}
		c, ok := m.classes[f.Name]
		if !ok {
			if len(m.classes) > 1<<16 {
				clear(m.classes) // field names from hostile input must not grow it without end
			}
			c = classify(f.Name)
			m.classes[strings.Clone(f.Name)] = c
		}
		if c == 0 {
			continue
		}
		m.check(s, c, f.Name, f.Value)
	}
	return m.out
}

func (m *Matcher) add(h Hit, field, value string) {
	m.out = append(m.out, Match{Hit: h, Field: field, Value: value})
}

func (m *Matcher) check(s *Set, c fieldClass, name, v string) {
	if c&cIP != 0 {
		if h, ok := s.LookupIPString(v); ok {
			m.add(h, name, v)
			return
		}
	}
	if c&cHostname != 0 {
		if h, ok := s.LookupHostname(v); ok {
			m.add(h, name, v)
			return
		}
	}
	if c&cDomain != 0 {
		d := v
		if c&cURL != 0 {
			d = urlHost(v)
		}
		if h, ok := s.LookupDomain(d); ok {
			m.add(h, name, v)
			return
		}
		if c&cURL != 0 && d != v {
			if h, ok := s.LookupIPString(d); ok {
				m.add(h, name, v)
				return
			}
		}
	}
	if c&cURL != 0 {
		if h, ok := s.LookupURL(v); ok {
			m.add(h, name, v)
			return
		}
	}
	if c&cHash != 0 {
		if h, ok := s.LookupHash(v); ok {
			m.add(h, name, v)
			return
		}
	}
	if c&cHashes != 0 {
		rest := v
		for rest != "" {
			var item string
			item, rest, _ = strings.Cut(rest, ",")
			if _, h, ok := strings.Cut(item, "="); ok {
				item = h
			}
			if hit, ok := s.LookupHash(item); ok {
				m.add(hit, name, v)
			}
		}
	}
	if c&cAccount != 0 {
		if h, ok := s.LookupAccount(v); ok {
			m.add(h, name, v)
			return
		}
	}
	if c&cEmail != 0 {
		if h, ok := s.LookupEmail(v); ok {
			m.add(h, name, v)
		}
	}
}

// urlHost returns the host of a URL (without port or credentials), or the
// value itself when it has no scheme.
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	h := u[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j > 0 {
			return h[1:j]
		}
	}
	if j := strings.LastIndexByte(h, ':'); j >= 0 && strings.Count(h, ":") == 1 {
		h = h[:j]
	}
	return h
}
