package parse

import (
	"bytes"
	"strconv"
	"strings"

	"vigil/internal/detect"
)

var errLEEFHeader = errField("header", "leef: header needs Vendor|Product|Version|EventID|")

// leefAliases maps common LEEF attribute keys to ECS-like names; the
// original key is kept as well.
var leefAliases = map[string]string{
	"src":           "source.ip",
	"dst":           "destination.ip",
	"srcPort":       "source.port",
	"dstPort":       "destination.port",
	"srcMAC":        "source.mac",
	"dstMAC":        "destination.mac",
	"usrName":       "user.name",
	"proto":         "network.transport",
	"url":           "url.original",
	"action":        "event.action",
	"identHostName": "host.hostname",
}

// parseLEEF reads LEEF 1.0 ("LEEF:1.0|Vendor|Product|Version|EventID|"
// then tab-separated key=value) and LEEF 2.0, whose sixth header field
// names the attribute delimiter as a character or hex ("^", "x09",
// "0x7c"). Header fields are named vendor, product, version (as
// deviceVendor, deviceProduct, deviceVersion for symmetry with CEF) and
// eventId.
func parseLEEF(ev *detect.Event, b []byte) error {
	b = b[len("LEEF:"):]
	parts := bytes.SplitN(b, []byte{'|'}, 6)
	if len(parts) < 5 {
		return errLEEFHeader
	}
	version := string(parts[0])
	ev.Add("leefVersion", version)
	ev.Add("deviceVendor", string(parts[1]))
	ev.Add("deviceProduct", string(parts[2]))
	ev.Add("deviceVersion", string(parts[3]))
	ev.Add("eventId", string(parts[4]))
	ev.Product = hintName(string(parts[1]))
	ev.Service = hintName(string(parts[2]))
	var attrs []byte
	if len(parts) == 6 {
		attrs = parts[5]
	}
	delim := byte('\t')
	if strings.HasPrefix(version, "2") && len(attrs) > 0 {
		// LEEF 2.0: "<delimiter>|attributes"; the delimiter may be empty
		// (then tab).
		bar := bytes.IndexByte(attrs, '|')
		if bar >= 0 {
			spec := string(attrs[:bar])
			attrs = attrs[bar+1:]
			d, err := leefDelimiter(spec)
			if err != nil {
				return err
			}
			delim = d
		}
	}
	for _, kv := range bytes.Split(attrs, []byte{delim}) {
		if len(bytes.TrimSpace(kv)) == 0 {
			continue
		}
		eq := bytes.IndexByte(kv, '=')
		if eq <= 0 {
			return errField(string(kv[:max(eq, 0)]), "leef: attribute %q is not key=value", truncate(string(kv), 40))
		}
		key, value := string(kv[:eq]), string(kv[eq+1:])
		ev.Add(key, value)
		if alias, ok := leefAliases[key]; ok {
			ev.Add(alias, value)
		}
		if key == "devTime" || key == "devTimeEpoch" {
			if ms, err := strconv.ParseInt(value, 10, 64); err == nil {
				ev.Time = timeFromMillis(ms)
			}
		}
	}
	return nil
}

func leefDelimiter(spec string) (byte, error) {
	switch {
	case spec == "":
		return '\t', nil
	case len(spec) == 1:
		return spec[0], nil
	}
	hex := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(spec), "0x"), "x")
	n, err := strconv.ParseUint(hex, 16, 8)
	if err != nil {
		return 0, errField("delimiter", "leef: delimiter %q is neither a character nor hex", spec)
	}
	return byte(n), nil
}
