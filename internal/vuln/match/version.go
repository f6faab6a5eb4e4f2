package match

import "strings"

// Version comparison. Three orders are needed:
//
//   - CompareDpkg: Debian's (epoch:upstream-revision, '~' sorts before
//     everything, letters before other characters), as dpkg --compare-versions;
//   - CompareRPM: rpm's rpmvercmp on [epoch:]version[-release] ('~' before
//     everything, '^' after the end, digits newer than letters);
//   - CompareVersion: the dotted versions of NVD ranges and Windows programs
//     ("1.1.1w", "120.0.6099.225", "8.9p1"), segment by segment, numbers
//     numerically, a missing segment equal to 0 ("1.2" = "1.2.0").
//
// Each returns -1, 0 or +1.

// CompareDpkg compares two Debian package versions.
func CompareDpkg(a, b string) int {
	ea, ua, ra := splitDpkg(a)
	eb, ub, rb := splitDpkg(b)
	if c := cmpDigits(ea, eb); c != 0 {
		return c
	}
	if c := dpkgVerrevcmp(ua, ub); c != 0 {
		return c
	}
	return dpkgVerrevcmp(ra, rb)
}

// splitDpkg splits [epoch:]upstream[-revision].
func splitDpkg(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i > 0 && allDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func dpkgOrder(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

// dpkgVerrevcmp is dpkg's verrevcmp.
func dpkgVerrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			var ac, bc int
			if i < len(a) {
				ac = dpkgOrder(a[i])
			}
			if j < len(b) {
				bc = dpkgOrder(b[j])
			}
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

// CompareRPM compares two RPM versions written [epoch:]version[-release].
func CompareRPM(a, b string) int {
	ea, va, ra := splitRPM(a)
	eb, vb, rb := splitRPM(b)
	if c := cmpDigits(ea, eb); c != 0 {
		return c
	}
	if c := rpmvercmp(va, vb); c != 0 {
		return c
	}
	if ra == "" || rb == "" { // a missing release matches any
		return 0
	}
	return rpmvercmp(ra, rb)
}

func splitRPM(v string) (epoch, version, release string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i > 0 && allDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// rpmvercmp is rpm's segment comparison.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// '~' sorts before everything, even the end.
		if i < len(a) && a[i] == '~' || j < len(b) && b[j] == '~' {
			if i >= len(a) || a[i] != '~' {
				return 1
			}
			if j >= len(b) || b[j] != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		// '^' sorts after the end but before anything else.
		if i < len(a) && a[i] == '^' || j < len(b) && b[j] == '^' {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if a[i] != '^' {
				return 1
			}
			if b[j] != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		numeric := isDigit(a[i])
		if numeric {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isLetter(a[i]) {
				i++
			}
			for j < len(b) && isLetter(b[j]) {
				j++
			}
		}
		x, y := a[si:i], b[sj:j]
		if y == "" { // different types: numeric is newer
			if numeric {
				return 1
			}
			return -1
		}
		if numeric {
			if c := cmpDigits(x, y); c != 0 {
				return c
			}
		} else if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

// CompareVersion compares dotted versions as NVD writes them: numeric
// segments numerically, text segments by letters ("1.1.1w" > "1.1.1t",
// "8.9p1" > "8.9"), a pre-release marker (alpha, beta, rc, pre, dev, '~')
// before the release it precedes ("2.0rc1" < "2.0"), and missing trailing
// segments equal to zero ("1.2" == "1.2.0").
func CompareVersion(a, b string) int { return cmpVer(parseVer(a), parseVer(b)) }

// ver is a dotted version split into its segments, parsed once for
// comparing many times.
type ver []token

func parseVer(s string) ver { return tokens(strings.ToLower(strings.TrimSpace(s))) }

func cmpVer(ta, tb ver) int {
	n := len(ta)
	if len(tb) > n {
		n = len(tb)
	}
	for k := 0; k < n; k++ {
		x, y := &zeroToken, &zeroToken
		if k < len(ta) {
			x = &ta[k]
		}
		if k < len(tb) {
			y = &tb[k]
		}
		if c := x.cmp(y); c != 0 {
			return c
		}
	}
	return 0
}

type token struct {
	num  string // digits without leading zeros, when numeric
	text string
	isN  bool
	pre  bool // a pre-release marker: alpha, beta, rc, pre, dev, preview, '~'
}

// zeroToken stands for a missing segment: a zero number.
var zeroToken = token{isN: true}

var preRelease = map[string]bool{"~": true, "alpha": true, "beta": true, "rc": true, "pre": true, "dev": true, "preview": true}

// cmp orders segments: pre-release < zero/missing < letters (a patch
// suffix, "1.1.1w") < any further number.
func (t *token) cmp(u *token) int {
	if t.isN && u.isN { // digits without leading zeros
		if len(t.num) != len(u.num) {
			return sign(len(t.num) - len(u.num))
		}
		return strings.Compare(t.num, u.num)
	}
	switch {
	case t.pre && u.pre:
		return strings.Compare(t.text, u.text)
	case t.pre:
		return -1
	case u.pre:
		return 1
	case !t.isN && !u.isN:
		return strings.Compare(t.text, u.text)
	case t.isN: // a number against letters
		if t.num == "" {
			return -1 // "1.0" < "1.0a"
		}
		return 1
	}
	if u.num == "" {
		return 1
	}
	return -1
}

func tokens(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			out = append(out, token{num: strings.TrimLeft(s[i:j], "0"), isN: true})
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			out = append(out, token{text: s[i:j], pre: preRelease[s[i:j]]})
			i = j
		case c == '~':
			out = append(out, token{text: "~", pre: true})
			i++
		default:
			i++
		}
	}
	// Trailing zero numbers are insignificant ("1.2.0" == "1.2").
	for len(out) > 0 && out[len(out)-1].isN && out[len(out)-1].num == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Upstream returns the part of a package version that upstream (and so
// NVD) would name: without a Debian/RPM epoch and revision/release, and for
// Windows programs as given. "1:8.9p1-3ubuntu0.6" → "8.9p1";
// "3.0.11-1~deb12u2" → "3.0.11"; "1.1.1k-7.el8_6" → "1.1.1k".
func Upstream(version, source string) string {
	v := strings.TrimSpace(version)
	switch source {
	case "dpkg", "rpm":
		_, u, _ := splitDpkg(v)
		// Debian repacks: "1.2.3+dfsg", "1.2.3+really1.2.2", "0.103.11+dfsg".
		if i := strings.Index(u, "+really"); i >= 0 {
			u = u[i+len("+really"):]
		}
		for _, cut := range []string{"+dfsg", "+ds", "~dfsg", "+repack", ".dfsg", "+git", "~git"} {
			if i := strings.Index(u, cut); i > 0 {
				u = u[:i]
			}
		}
		return u
	}
	return v
}

// CompareFor compares two versions of a package from source (dpkg, rpm or
// anything else) with that source's order.
func CompareFor(source, a, b string) int {
	switch source {
	case "dpkg":
		return CompareDpkg(a, b)
	case "rpm":
		return CompareRPM(a, b)
	}
	return CompareVersion(a, b)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// cmpDigits compares two digit strings numerically, any length.
func cmpDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
