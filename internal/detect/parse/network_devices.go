package parse

import (
	"bytes"
	"regexp"
	"strings"

	"vigil/internal/detect"
)

// ciscoMnemonic finds IOS's "%FACILITY-SEVERITY-MNEMONIC:" tag.
var ciscoMnemonic = regexp.MustCompile(`%([A-Z0-9_]+)-([0-7])-([A-Z0-9_]+):`)

// ciscoService maps IOS facilities to the services Sigma's Cisco rules are
// written for: command accounting and configuration changes are "aaa".
var ciscoService = map[string]string{
	"PARSER": "aaa", "SYS": "aaa", "AAA": "aaa", "TAC": "aaa", "TACACS": "aaa", "SEC_LOGIN": "aaa", "SSH": "aaa",
	"BGP": "bgp", "LDP": "ldp",
}

// addCiscoTag recognises a Cisco IOS message in a plain line: Product
// "cisco", the service its facility implies, and cisco.facility,
// cisco.severity, cisco.mnemonic. The whole text stays in message, which
// the (keyword) rules search.
func addCiscoTag(ev *detect.Event, text []byte) bool {
	if bytes.IndexByte(text, '%') < 0 {
		return false // the common case, without the regexp
	}
	m := ciscoMnemonic.FindSubmatch(text)
	if m == nil {
		return false
	}
	facility := string(m[1])
	ev.Product = "cisco"
	ev.Service = ciscoService[facility]
	ev.Add("cisco.facility", facility)
	ev.Add("cisco.severity", string(m[2]))
	ev.Add("cisco.mnemonic", string(m[3]))
	return true
}

// isFortiGate reports whether a line is a FortiGate key=value log.
func isFortiGate(b []byte) bool {
	return bytes.Contains(b, []byte("devid=")) && bytes.Contains(b, []byte("logid=")) && bytes.Contains(b, []byte("type="))
}

// parseFortiGate reads a FortiGate log: every key=value (values may be
// quoted) under FortiOS's names (action, cfgpath, cfgattr, srcip, ...),
// as Sigma's fortigate rules use them. Product "fortigate", Service the
// log type (event, traffic, utm).
func parseFortiGate(ev *detect.Event, b []byte) error {
	addKeyValues(ev, b)
	ev.Product = "fortigate"
	ev.Service, _ = ev.Get("type")
	if h, ok := ev.Get("devname"); ok && ev.Host == "" {
		ev.Host = h
	}
	addAliases(ev, fortiAliases)
	if d, ok := ev.Get("date"); ok {
		if tm, ok := ev.Get("time"); ok {
			if t := parseAnyTime(&jsonValue{kind: jsonString, text: d + " " + tm}); !t.IsZero() {
				ev.Time = t
			}
		}
	}
	return nil
}

var fortiAliases = newAliasTable([][2]string{
	{"srcip", "source.ip"}, {"srcport", "source.port"}, {"dstip", "destination.ip"}, {"dstport", "destination.port"},
	{"user", "user.name"}, {"url", "url.original"}, {"hostname", "url.domain"}, {"msg", "message"},
})

// addKeyValues adds space-separated key=value pairs, values bare or in
// double quotes (with \" escapes).
func addKeyValues(ev *detect.Event, b []byte) {
	for len(b) > 0 {
		b = bytes.TrimLeft(b, " ")
		eq := bytes.IndexByte(b, '=')
		sp := bytes.IndexByte(b, ' ')
		if eq <= 0 || sp >= 0 && sp < eq {
			if sp < 0 {
				return
			}
			b = b[sp+1:]
			continue
		}
		key := string(b[:eq])
		b = b[eq+1:]
		if len(b) > 0 && b[0] == '"' {
			var val strings.Builder
			i := 1
			for ; i < len(b); i++ {
				if b[i] == '\\' && i+1 < len(b) {
					val.WriteByte(b[i+1])
					i++
					continue
				}
				if b[i] == '"' {
					break
				}
				val.WriteByte(b[i])
			}
			ev.Add(key, val.String())
			b = b[min(i+1, len(b)):]
			continue
		}
		end := bytes.IndexByte(b, ' ')
		if end < 0 {
			end = len(b)
		}
		ev.Add(key, string(b[:end]))
		b = b[end:]
	}
}
