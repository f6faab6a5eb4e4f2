package format

import (
	"bufio"
	"io"
	"net/netip"
	"regexp"
	"strings"

	"vigil/internal/detect/ioc"
)

// refang undoes the usual defanging: hxxp://, [.], (.), {.}, [dot], [:],
// [@], [at].
var refanger = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "[DOT]", ".",
	"[:]", ":", "[://]", "://", "[@]", "@", "[at]", "@", "(at)", "@", "[AT]", "@",
)

func refang(v string) string {
	v = refanger.Replace(v)
	lower := strings.ToLower(v)
	for _, p := range []string{"hxxps", "hxxp", "fxp"} {
		if strings.HasPrefix(lower, p) {
			switch p {
			case "hxxps":
				return "https" + v[5:]
			case "hxxp":
				return "http" + v[4:]
			default:
				return "ftp" + v[3:]
			}
		}
	}
	return v
}

var (
	domainRE = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})\.?$`)
	hexRE    = regexp.MustCompile(`^[0-9A-Fa-f]+$`)
)

// GuessKind tells the kind of a pasted value, after refanging it:
// "account:NAME" and "hostname:NAME" (also user:, host:) say their kind;
// then a URL (scheme:// or domain/path), an IPv4 or IPv6 address or
// network, an MD5, SHA-1 or SHA-256 by its length in hex digits, an e-mail
// address, a domain. It returns the kind, the value to normalise, and
// false when it cannot tell.
func GuessKind(v string) (string, string, bool) {
	k, val, ok := guess(v)
	if !ok {
		return "", "", false
	}
	return k.String(), val, true
}

func guess(v string) (ioc.Kind, string, bool) {
	v = refang(strings.TrimSpace(v))
	v = strings.Trim(v, `"'<>`)
	if v == "" {
		return 0, "", false
	}
	if i := strings.IndexByte(v, ':'); i > 0 {
		switch strings.ToLower(v[:i]) {
		case "account", "user", "username":
			return ioc.KindAccount, v[i+1:], strings.TrimSpace(v[i+1:]) != ""
		case "hostname", "host":
			return ioc.KindHostname, v[i+1:], strings.TrimSpace(v[i+1:]) != ""
		case "domain":
			return ioc.KindDomain, v[i+1:], true
		case "email":
			return ioc.KindEmail, v[i+1:], true
		}
	}
	if strings.Contains(v, "://") {
		return ioc.KindURL, v, true
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return ioc.KindIP, v, true
	}
	if _, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
		return ioc.KindIP, strings.Trim(v, "[]"), true
	}
	if hexRE.MatchString(v) {
		switch len(v) {
		case 32:
			return ioc.KindMD5, v, true
		case 40:
			return ioc.KindSHA1, v, true
		case 64:
			return ioc.KindSHA256, v, true
		}
		return 0, "", false
	}
	if at := strings.IndexByte(v, '@'); at > 0 && domainRE.MatchString(v[at+1:]) {
		return ioc.KindEmail, v, true
	}
	if domainRE.MatchString(v) {
		return ioc.KindDomain, v, true
	}
	if i := strings.IndexAny(v, "/?"); i > 0 && domainRE.MatchString(v[:i]) {
		return ioc.KindURL, v, true
	}
	return 0, "", false
}

// readPaste reads values one a line, or several on a line separated by
// spaces, commas or semicolons; lines starting with # are comments.
func readPaste(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	rd := newReader(name, "paste", opt)
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	for {
		s, err := readLine(br)
		if s == "" && err != nil {
			if err == io.EOF {
				break
			}
			if err == errLineTooLong {
				line++
				if cerr := rd.count(); cerr != nil {
					return nil, cerr
				}
				rd.problem(line, "", "", reasonLineTooLong)
				continue
			}
			return nil, refuse(name, line+1, "", "", err, reasonReadFailed)
		}
		line++
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		s = strings.TrimSpace(s)
		if s == "" || s[0] == '#' {
			continue
		}
		for _, v := range strings.FieldsFunc(s, func(r rune) bool {
			return r == ' ' || r == '\t' || r == ',' || r == ';' || r == '\u00a0'
		}) {
			if err := rd.count(); err != nil {
				return nil, err
			}
			k, val, ok := guess(v)
			if !ok {
				rd.problem(line, "", "value", reasonNotRecognised, clip(v))
				continue
			}
			rd.add(k, val, rd.base(), line, "", "value")
		}
	}
	rd.collect()
	rd.res.finish(name)
	return rd.res, nil
}
