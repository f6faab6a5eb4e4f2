package parse

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"

	"vigil/internal/detect"
)

// isAuditd reports whether a payload is a Linux audit record:
// "type=SYSCALL msg=audit(1700000000.123:42): key=value ...".
func isAuditd(b []byte) bool {
	return bytes.HasPrefix(b, []byte("type=")) && bytes.Contains(b, []byte(" msg=audit("))
}

// parseAuditd reads an audit record into fields named as auditd names
// them (type, syscall, exe, comm, a0, a1, key, ...), the names Sigma's
// auditd rules use; the quoted msg='...' of user-space records is opened
// up. Arguments that auditd hex-encoded (execve a0..aN, proctitle) are
// decoded, as ausearch -i does. Product is "linux", Service "auditd".
func parseAuditd(ev *detect.Event, b []byte) error {
	ev.Product = "linux"
	ev.Service = "auditd"
	addAuditPairs(ev, b, 0)
	if stamp, ok := ev.Get("msg"); ok && strings.HasPrefix(stamp, "audit(") {
		// audit(1700000000.123:42): the time and the event serial number.
		inner := strings.TrimSuffix(strings.TrimPrefix(stamp, "audit("), "):")
		inner = strings.TrimSuffix(inner, ")")
		if colon := strings.IndexByte(inner, ':'); colon > 0 {
			if sec, err := strconv.ParseFloat(inner[:colon], 64); err == nil {
				ev.Time = parseAnyTime(&jsonValue{kind: jsonNumber, text: strconv.FormatFloat(sec, 'f', 3, 64)})
			}
			ev.Add("event.sequence", inner[colon+1:])
		}
	}
	return nil
}

// addAuditPairs adds key=value pairs; values may be "quoted", 'quoted'
// (a nested list of pairs, for user-space records) or bare.
func addAuditPairs(ev *detect.Event, b []byte, depth int) {
	for len(b) > 0 {
		b = bytes.TrimLeft(b, " ")
		eq := bytes.IndexByte(b, '=')
		sp := bytes.IndexByte(b, ' ')
		if eq <= 0 || (sp >= 0 && sp < eq) {
			// A word without '=' (some records end in free text): skip it.
			if sp < 0 {
				return
			}
			b = b[sp+1:]
			continue
		}
		key := string(b[:eq])
		b = b[eq+1:]
		var value []byte
		quoted := false
		switch {
		case len(b) > 0 && (b[0] == '"' || b[0] == '\''):
			q := b[0]
			end := bytes.IndexByte(b[1:], q)
			if end < 0 {
				value, b = b[1:], nil
			} else {
				value, b = b[1:1+end], b[2+end:]
			}
			quoted = true
			if q == '\'' && depth == 0 && bytes.IndexByte(value, '=') > 0 {
				addAuditPairs(ev, value, depth+1)
				continue
			}
		default:
			end := bytes.IndexByte(b, ' ')
			if end < 0 {
				end = len(b)
			}
			value, b = b[:end], b[end:]
		}
		v := string(value)
		if !quoted && isAuditHexField(key) {
			if decoded, ok := decodeAuditHex(value); ok {
				v = decoded
			}
		}
		ev.Add(key, v)
	}
}

// isAuditHexField names the fields auditd writes in hex when they hold
// spaces or other special characters.
func isAuditHexField(key string) bool {
	if key == "proctitle" || key == "cmd" || key == "data" {
		return true
	}
	if len(key) > 1 && key[0] == 'a' {
		_, err := strconv.Atoi(key[1:])
		return err == nil
	}
	return false
}

func decodeAuditHex(v []byte) (string, bool) {
	if len(v) < 2 || len(v)%2 != 0 {
		return "", false
	}
	out := make([]byte, len(v)/2)
	if _, err := hex.Decode(out, v); err != nil {
		return "", false
	}
	// proctitle separates arguments with NULs.
	for i, c := range out {
		if c == 0 {
			out[i] = ' '
		} else if c < 0x20 && c != '\t' && c != '\n' {
			return "", false // not text: keep the hex
		}
	}
	return strings.TrimRight(string(out), " "), true
}
