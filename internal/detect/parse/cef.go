package parse

import (
	"bytes"
	"strconv"
	"strings"

	"vigil/internal/detect"
)

// cefAliases gives ECS-like names to common CEF extension keys, so
// network rules written against source.ip etc. see CEF events too. The
// original key is kept as well.
var cefAliases = map[string]string{
	"src":                      "source.ip",
	"dst":                      "destination.ip",
	"spt":                      "source.port",
	"dpt":                      "destination.port",
	"smac":                     "source.mac",
	"dmac":                     "destination.mac",
	"shost":                    "source.domain",
	"dhost":                    "destination.domain",
	"suser":                    "source.user.name",
	"duser":                    "destination.user.name",
	"proto":                    "network.transport",
	"app":                      "network.protocol",
	"act":                      "event.action",
	"request":                  "url.original",
	"requestMethod":            "http.request.method",
	"requestClientApplication": "user_agent.original",
	"fname":                    "file.name",
	"filePath":                 "file.path",
	"fileHash":                 "file.hash",
	"sproc":                    "process.name",
	"spid":                     "process.pid",
	"msg":                      "message",
	"in":                       "source.bytes",
	"out":                      "destination.bytes",
}

var errCEFHeader = errField("header", "cef: header needs 7 '|'-separated fields")

// parseCEF reads "CEF:Version|Vendor|Product|Version|SignatureID|Name|
// Severity|key=value ...". Header fields take ArcSight's names
// (deviceVendor, deviceProduct, deviceVersion, deviceEventClassId, name,
// severity); Product and Service hints are the lower-cased vendor and
// product.
func parseCEF(ev *detect.Event, b []byte) error {
	b = b[len("CEF:"):]
	var header [7]string
	for i := 0; i < 7; i++ {
		var field []byte
		var ok bool
		field, b, ok = cefHeaderField(b)
		if !ok && i < 6 {
			return errCEFHeader
		}
		header[i] = string(field)
		if !ok {
			break
		}
	}
	names := [...]string{"cefVersion", "deviceVendor", "deviceProduct", "deviceVersion", "deviceEventClassId", "name", "severity"}
	for i, n := range names {
		ev.Add(n, header[i])
	}
	ev.Product = hintName(header[1])
	ev.Service = hintName(header[2])
	return parseCEFExtension(ev, b)
}

// hintName turns a vendor or product name into a logsource hint.
func hintName(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", "_"))
}

// cefHeaderField splits off a header field ending in an unescaped '|',
// unescaping \| and \\.
func cefHeaderField(b []byte) (field, rest []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			if i+1 < len(b) && (b[i+1] == '|' || b[i+1] == '\\') {
				field = append(field, b[i+1])
				i++
				continue
			}
		case '|':
			return field, b[i+1:], true
		}
		field = append(field, b[i])
	}
	return field, nil, false
}

// parseCEFExtension reads space-separated key=value pairs where a value
// runs until the space before the next key=; \= \\ \n \r are escapes.
func parseCEFExtension(ev *detect.Event, b []byte) error {
	b = bytes.TrimSpace(b)
	for len(b) > 0 {
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 {
			return errField("extension", "cef: %q is not key=value", truncate(string(b), 40))
		}
		key := string(bytes.TrimSpace(b[:eq]))
		if strings.ContainsAny(key, " \t") {
			return errField("extension", "cef: key %q has a space", truncate(key, 40))
		}
		b = b[eq+1:]
		end := nextCEFKey(b)
		value := unescapeCEF(bytes.TrimRight(b[:end], " "))
		b = b[end:]
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
		}
		ev.Add(key, value)
		if alias, ok := cefAliases[key]; ok {
			ev.Add(alias, value)
		}
		if key == "rt" {
			if ms, err := strconv.ParseInt(value, 10, 64); err == nil {
				ev.Time = timeFromMillis(ms)
			}
		}
		if key == "dvchost" && ev.Host == "" {
			ev.Host = value
		}
	}
	return nil
}

// nextCEFKey returns where the value starting b ends: at the space before
// the next unescaped "key=" (a key is letters, digits, '_', '.', '-' ,
// '[', ']').
func nextCEFKey(b []byte) int {
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' {
			i++
			continue
		}
		if b[i] != ' ' {
			continue
		}
		j := i + 1
		for j < len(b) && isCEFKeyByte(b[j]) {
			j++
		}
		if j > i+1 && j < len(b) && b[j] == '=' {
			return i
		}
	}
	return len(b)
}

func isCEFKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '[' || c == ']'
}

func unescapeCEF(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '=', '\\', '|':
				out = append(out, b[i+1])
				i++
				continue
			case 'n':
				out = append(out, '\n')
				i++
				continue
			case 'r':
				out = append(out, '\r')
				i++
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
