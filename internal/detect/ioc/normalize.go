package ioc

import (
	"fmt"
	"net/netip"
	"strings"
)

// Normalize checks value as Builder.Add would for kind k and returns it in
// the form a Set holds it: an address in netip's canonical form (IPv4
// unmapped, zone dropped), a network masked ("10.1.2.3/8" is "10.0.0.0/8"),
// a hash in lower-case hex, a domain or hostname folded to lower case
// without a trailing dot or a leading "*.", a URL with its scheme and host
// folded and its fragment and lone "/" path dropped, an e-mail address or
// account in lower case. A bad value is the error Add would give, wrapping
// ErrBadValue. Add and Normalize share every check, so a value Normalize
// accepts is one Add accepts, and Normalize(Normalize(v)) is Normalize(v).
func Normalize(k Kind, value string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("%w: empty", ErrBadValue)
	}
	switch k {
	case KindIP:
		if strings.IndexByte(value, '/') >= 0 {
			p, err := parseNet(value)
			if err != nil {
				return "", err
			}
			return p.String(), nil
		}
		a, err := checkAddr(value)
		if err != nil {
			return "", err
		}
		return a.WithZone("").String(), nil
	case KindMD5, KindSHA1, KindSHA256:
		if err := checkHashLen(k, value); err != nil {
			return "", err
		}
		var h [32]byte
		if !decodeHex(h[:len(value)/2], value) {
			return "", errNotHex(value)
		}
		return strings.ToLower(value), nil
	case KindDomain, KindHostname:
		var buf [256]byte
		d, err := normHost(k, value, &buf)
		if err != nil {
			return "", err
		}
		return strings.Clone(d), nil
	case KindURL:
		n, err := normURL(value)
		if err != nil {
			return "", err
		}
		return string(n), nil
	case KindEmail:
		return normEmail(value)
	case KindAccount:
		return strings.ToLower(value), nil
	}
	return "", fmt.Errorf("%w: kind %d", ErrBadType, k)
}

// parseNet reads a network (CIDR), an IPv4-mapped one as IPv4, masked.
func parseNet(value string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(value)
	if err != nil {
		return p, fmt.Errorf("%w: %q is not a network", ErrBadValue, value)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	p = p.Masked()
	if !p.IsValid() {
		return p, fmt.Errorf("%w: %q is not a network", ErrBadValue, value)
	}
	return p, nil
}

func checkAddr(value string) (netip.Addr, error) {
	a, ok := parseAddr(value)
	if !ok {
		return a, fmt.Errorf("%w: %q is not an IP address", ErrBadValue, value)
	}
	return a, nil
}

func checkHashLen(k Kind, value string) error {
	want := map[Kind]int{KindMD5: 32, KindSHA1: 40, KindSHA256: 64}[k]
	if len(value) != want {
		return fmt.Errorf("%w: %q is not a %s (want %d hex digits)", ErrBadValue, value, k, want)
	}
	return nil
}

func errNotHex(value string) error {
	return fmt.Errorf("%w: %q is not hexadecimal", ErrBadValue, value)
}

// normHost folds a domain or host name; the result may live in buf.
func normHost(k Kind, value string, buf *[256]byte) (string, error) {
	d, ok := foldHost(value, buf)
	// Folding drops one final dot; a name still ending in one ("..") is
	// no name, and would fold again to something else.
	if !ok || strings.ContainsAny(d, " /:@") || d == "" || strings.HasSuffix(d, ".") {
		return "", fmt.Errorf("%w: %q is not a %s", ErrBadValue, value, k)
	}
	for strings.HasPrefix(d, "*.") { // "*.evil.example", "*.*.evil.example"
		d = d[2:]
	}
	if d == "" {
		return "", fmt.Errorf("%w: %q is not a %s", ErrBadValue, value, k)
	}
	return d, nil
}

func normURL(value string) ([]byte, error) {
	n, ok := normURLInto(value, nil)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrBadValue, value)
	}
	return n, nil
}

// trimEmail takes the brackets and spaces off an address ("<a@b>",
// "< a@b >", "<<a@b>>") until none is left, so a normalised address
// normalises to itself and an event's address is read the same way.
func trimEmail(v string) string {
	for {
		w := strings.TrimSpace(strings.Trim(v, "<>"))
		if w == v {
			return v
		}
		v = w
	}
}

func normEmail(value string) (string, error) {
	v := trimEmail(value)
	if i := strings.IndexByte(v, '@'); i <= 0 || i == len(v)-1 {
		return "", fmt.Errorf("%w: %q is not an e-mail address", ErrBadValue, value)
	}
	return strings.ToLower(v), nil
}
