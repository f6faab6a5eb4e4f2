package parse

import (
	"bytes"
	"regexp"
	"strings"
	"time"

	"vigil/internal/detect"
)

// Web server access logs get the field names of Sigma's webserver and
// proxy taxonomy (W3C extended log names: c-ip, cs-method, c-uri,
// cs-uri-query, sc-status, c-useragent, cs-referrer, cs-host), Category
// "webserver", and ECS-like aliases.

var webAliases = newAliasTable([][2]string{
	{"c-ip", "source.ip"}, {"s-ip", "destination.ip"}, {"s-port", "destination.port"},
	{"cs-method", "http.request.method"}, {"c-uri", "url.original"}, {"sc-status", "http.response.status_code"},
	{"c-useragent", "user_agent.original"}, {"cs-referrer", "http.request.referrer"}, {"cs-username", "user.name"},
	{"cs-host", "url.domain"},
})

// combinedLog matches the NCSA common and combined formats (Apache, nginx,
// Tomcat): host ident user [time] "request" status size ["referer" "agent"].
var combinedLog = regexp.MustCompile(`^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\S+)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?`)

// isCombinedLog is the cheap test before the regexp.
func isCombinedLog(b []byte) bool {
	return bytes.Contains(b, []byte(" [")) && bytes.Contains(b, []byte(`] "`))
}

// parseCombinedLog fills ev from an NCSA access log line; false when the
// line is not one.
func parseCombinedLog(ev *detect.Event, b []byte) bool {
	m := combinedLog.FindSubmatch(b)
	if m == nil {
		return false
	}
	add := func(name string, v []byte) {
		if len(v) > 0 && !(len(v) == 1 && v[0] == '-') {
			ev.Add(name, string(v))
		}
	}
	add("c-ip", m[1])
	add("cs-username", m[3])
	request := strings.SplitN(string(m[5]), " ", 3)
	if len(request) >= 2 {
		ev.Add("cs-method", request[0])
		uri := request[1]
		ev.Add("c-uri", uri)
		if q := strings.IndexByte(uri, '?'); q >= 0 {
			ev.Add("cs-uri-stem", uri[:q])
			ev.Add("cs-uri-query", uri[q+1:])
		} else {
			ev.Add("cs-uri-stem", uri)
		}
		if ext := uriExtension(uri); ext != "" {
			ev.Add("c-uri-extension", ext)
		}
		if len(request) == 3 {
			ev.Add("cs-version", request[2])
		}
	} else {
		ev.Add("c-uri", string(m[5]))
	}
	add("sc-status", m[6])
	add("sc-bytes", m[7])
	add("cs-referrer", m[8])
	add("c-useragent", m[9])
	if t, err := time.Parse("02/Jan/2006:15:04:05 -0700", string(m[4])); err == nil {
		ev.Time = t.UTC()
	}
	ev.Category = "webserver"
	addAliases(ev, webAliases)
	ev.Add("message", string(b))
	return true
}

// uriExtension returns the extension of a URI's path ("php" for
// /a/b.php?x=1), as Sigma's c-uri-extension.
func uriExtension(uri string) string {
	if q := strings.IndexAny(uri, "?#"); q >= 0 {
		uri = uri[:q]
	}
	slash := strings.LastIndexByte(uri, '/')
	dot := strings.LastIndexByte(uri, '.')
	if dot <= slash || dot == len(uri)-1 {
		return ""
	}
	return uri[dot+1:]
}

// w3cColumns reads a "#Fields:" directive of a W3C extended log (IIS).
func w3cColumns(line []byte) ([]string, bool) {
	rest, ok := bytes.CutPrefix(line, []byte("#Fields:"))
	if !ok {
		return nil, false
	}
	return strings.Fields(string(rest)), true
}

// w3cNames maps IIS column names to the taxonomy's where they differ.
var w3cNames = map[string]string{
	"cs(User-Agent)": "c-useragent",
	"cs(Referer)":    "cs-referrer",
	"cs(Cookie)":     "cs-cookie",
}

// parseW3C fills ev from a line of a W3C extended log whose columns were
// declared by "#Fields:". IIS writes spaces in values as '+' and absent
// values as '-'.
func parseW3C(ev *detect.Event, columns []string, line []byte) error {
	values := strings.Fields(string(line))
	if len(values) != len(columns) {
		return errField("#Fields", "w3c: %d values for %d declared fields", len(values), len(columns))
	}
	var date, clock, stem, query string
	for i, col := range columns {
		v := values[i]
		if v == "-" {
			continue
		}
		name := col
		if n, ok := w3cNames[col]; ok {
			name = n
		}
		if name == "c-useragent" || name == "cs-referrer" {
			v = strings.ReplaceAll(v, "+", " ")
		}
		ev.Add(name, v)
		switch col {
		case "date":
			date = v
		case "time":
			clock = v
		case "cs-uri-stem":
			stem = v
		case "cs-uri-query":
			query = v
		case "s-computername":
			ev.Host = v
		}
	}
	if stem != "" {
		uri := stem
		if query != "" {
			uri += "?" + query
		}
		ev.Add("c-uri", uri)
		if ext := uriExtension(stem); ext != "" {
			ev.Add("c-uri-extension", ext)
		}
	}
	if date != "" && clock != "" {
		if t, err := time.Parse("2006-01-02 15:04:05", date+" "+clock); err == nil {
			ev.Time = t // W3C logs are written in UTC
		}
	}
	ev.Category = "webserver"
	ev.Service = "iis"
	addAliases(ev, webAliases)
	return nil
}
