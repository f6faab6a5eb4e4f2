package scan

import (
	"encoding/hex"
	"net/netip"

	"vigil/internal/detect/ioc"
)

// IOCMatcher adapts an indicator set of the shared library
// (internal/detect/ioc, which loads CSV and STIX 2.x and is what the hub
// and `vigil detect` use) to Matcher.
type IOCMatcher struct{ Set *ioc.Set }

func fromHit(h ioc.Hit) Indicator {
	t := h.Kind.String()
	if t == "ip" && len(h.Indicator) > 0 && containsSlash(h.Indicator) {
		t = TypeCIDR
	}
	return Indicator{Type: t, Value: h.Indicator, Comment: h.Comment}
}

func containsSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

// MatchHash implements Matcher.
func (m IOCMatcher) MatchHash(sum *[32]byte) (Indicator, bool) {
	var buf [64]byte
	hex.Encode(buf[:], sum[:])
	if h, ok := m.Set.LookupHash(string(buf[:])); ok {
		return fromHit(h), true
	}
	return Indicator{}, false
}

// MatchIP implements Matcher.
func (m IOCMatcher) MatchIP(a netip.Addr) (Indicator, bool) {
	if h, ok := m.Set.LookupIP(a); ok {
		return fromHit(h), true
	}
	return Indicator{}, false
}

// MatchDomain implements Matcher.
func (m IOCMatcher) MatchDomain(name string) (Indicator, bool) {
	if h, ok := m.Set.LookupDomain(name); ok {
		return fromHit(h), true
	}
	return Indicator{}, false
}
