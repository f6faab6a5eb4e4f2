package parse

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"vigil/internal/detect"
)

var errNotObject = errors.New("record is not a JSON object")

// mapJSON recognises the shape of one JSON record and fills ev from it.
// Shapes are told apart by keys only their producer writes.
func (sh *shaper) mapJSON(ev *detect.Event, v *jsonValue) error {
	if v.kind != jsonObject {
		return errNotObject
	}
	if e := v.get("Event"); e != nil && e.kind == jsonObject && (e.get("System") != nil || e.get("EventData") != nil) {
		ev.Product = "windows"
		return addWindowsJSON(ev, e)
	}
	if w := v.get("winlog"); w != nil && w.kind == jsonObject {
		return addWinlogbeat(ev, v, w)
	}
	if v.get("EventID") != nil && (v.get("SourceName") != nil || v.get("Channel") != nil) &&
		(v.get("Hostname") != nil || v.get("EventTime") != nil || v.get("EventReceivedTime") != nil) {
		return addNXLog(ev, v)
	}
	if et := v.get("event_type"); et != nil && et.kind == jsonString && (v.get("src_ip") != nil || v.get("flow_id") != nil) {
		return sh.addSuricata(ev, v)
	}
	if v.get("uid") != nil && (v.get("id.orig_h") != nil || v.get("id") != nil && v.get("id").get("orig_h") != nil) || v.get("_path") != nil && v.get("ts") != nil {
		return sh.addZeek(ev, v)
	}
	if r := v.get("rule"); r != nil && r.kind == jsonObject && r.get("level") != nil && v.get("agent") != nil {
		return sh.addWazuh(ev, v)
	}
	if v.get("__REALTIME_TIMESTAMP") != nil && v.get("MESSAGE") != nil {
		return sh.addJournald(ev, v)
	}
	if v.get("eventSource") != nil && v.get("eventName") != nil && v.get("awsRegion") != nil {
		sh.flattenJSON(ev, v, "", 0)
		addAliases(ev, cloudTrailAliases)
		ev.Product, ev.Service = "aws", "cloudtrail"
		ev.Time = parseAnyTime(v.get("eventTime"))
		return nil
	}
	sh.addGenericJSON(ev, v)
	return nil
}

// addGenericJSON flattens any JSON object and takes the time and host from
// the usual keys.
func (sh *shaper) addGenericJSON(ev *detect.Event, v *jsonValue) {
	sh.flattenJSON(ev, v, "", 0)
	for _, k := range []string{"@timestamp", "timestamp", "time", "ts", "date", "EventTime"} {
		if t := parseAnyTime(v.get(k)); !t.IsZero() {
			ev.Time = t
			break
		}
	}
	for _, k := range []string{"host.name", "hostname", "host", "Hostname", "computer_name"} {
		if h, ok := ev.Get(k); ok && h != "" {
			ev.Host = h
			break
		}
	}
}

// parseAnyTime reads a time written as RFC 3339 (with or without zone,
// 'T' or space) or as epoch seconds or milliseconds.
func parseAnyTime(v *jsonValue) time.Time {
	if v == nil {
		return time.Time{}
	}
	switch v.kind {
	case jsonNumber:
		f, err := strconv.ParseFloat(v.text, 64)
		if err != nil || f <= 0 {
			return time.Time{}
		}
		if f > 1e11 {
			return time.UnixMilli(int64(f)).UTC()
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC().Round(time.Microsecond)
	case jsonString:
		s := v.text
		if len(s) < 19 || s[4] != '-' || s[7] != '-' {
			if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
				return parseAnyTime(&jsonValue{kind: jsonNumber, text: s})
			}
			return time.Time{}
		}
		// Pick the layout from the text rather than trying each: a failed
		// time.Parse allocates its error, and this runs once per record.
		sep := s[10]
		zone := ""
		switch last := s[len(s)-1]; {
		case last == 'Z' || last == 'z':
			zone = "Z07:00"
		case len(s) >= 25 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':':
			zone = "Z07:00"
		case len(s) >= 24 && (s[len(s)-5] == '+' || s[len(s)-5] == '-'):
			zone = "Z0700"
		}
		layout := "2006-01-02T15:04:05.999999999" + zone
		if sep == ' ' {
			layout = "2006-01-02 15:04:05.999999999" + zone
		}
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// shaper maps JSON records to events for one reader, remembering the
// dotted names it built: the records of a log repeat them, and building
// each anew would cost an allocation per field. A nil *shaper works,
// without the memory.
type shaper struct {
	names   map[string]map[string]string // prefix -> key -> prefix.key
	count   int
	zeekLog string // the Zeek log the file is named after, if any
}

// maxShaperNames bounds the name memory against hostile input.
const maxShaperNames = 8192

func (sh *shaper) join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	if sh == nil {
		return prefix + "." + key
	}
	if byKey, ok := sh.names[prefix]; ok {
		if name, ok := byKey[key]; ok {
			return name
		}
	}
	name := prefix + "." + key
	if sh.count < maxShaperNames {
		if sh.names == nil {
			sh.names = make(map[string]map[string]string)
		}
		byKey := sh.names[prefix]
		if byKey == nil {
			byKey = make(map[string]string)
			sh.names[prefix] = byKey
		}
		byKey[key] = name
		sh.count++
	}
	return name
}

// maxFlattenDepth bounds how deep generic flattening descends.
const maxFlattenDepth = 32

// flattenJSON adds every scalar of v as a field named by its dotted path:
// {"a":{"b":1}} gives a.b=1. An array of scalars becomes one field, its
// values joined by ", " (as a rule writer reads a list); an array holding
// objects or arrays is indexed: {"a":[{"b":1}]} gives a.0.b=1. Null gives
// an empty value.
func (sh *shaper) flattenJSON(ev *detect.Event, v *jsonValue, prefix string, depth int) {
	if depth > maxFlattenDepth {
		return
	}
	switch v.kind {
	case jsonObject:
		for i, k := range v.keys {
			sh.flattenJSON(ev, &v.elems[i], sh.join(prefix, k), depth+1)
		}
	case jsonArray:
		allScalar := true
		for i := range v.elems {
			if k := v.elems[i].kind; k == jsonObject || k == jsonArray {
				allScalar = false
				break
			}
		}
		if allScalar {
			var b strings.Builder
			for i := range v.elems {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(v.elems[i].text)
			}
			ev.Add(prefix, b.String())
			return
		}
		for i := range v.elems {
			sh.flattenJSON(ev, &v.elems[i], sh.join(prefix, strconv.Itoa(i)), depth+1)
		}
	case jsonNull:
		// Left out: Sigma's null means absent or null, and '' the empty
		// string, so a null must not read as an empty value.
	default:
		ev.Add(prefix, v.text)
	}
}

// addAliases adds ECS-like names for fields already in ev.
// An alias is not added when the event already has a field of that name
// (or an earlier alias gave it one).
func addAliases(ev *detect.Event, aliases aliasTable) {
	n := len(ev.Fields)
	for i := 0; i < n; i++ {
		target, ok := aliases[ev.Fields[i].Name]
		if !ok {
			continue
		}
		if _, exists := ev.Get(target); exists {
			continue
		}
		ev.Add(target, ev.Fields[i].Value)
	}
}

// aliasTable maps a field name to its ECS-like alias.
type aliasTable map[string]string

func newAliasTable(pairs [][2]string) aliasTable {
	t := make(aliasTable, len(pairs))
	for _, p := range pairs {
		t[p[0]] = p[1]
	}
	return t
}

// pathText returns the scalar text at a dotted path of objects.
func pathText(v *jsonValue, path ...string) (string, bool) {
	for _, p := range path {
		v = v.get(p)
		if v == nil {
			return "", false
		}
	}
	if v.kind == jsonArray {
		parts := make([]string, 0, len(v.elems))
		for i := range v.elems {
			if s, ok := jsonText(&v.elems[i]); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", "), true
	}
	return jsonText(v)
}

// addJournald maps journalctl -o json: the journal's fields as written
// (MESSAGE, _HOSTNAME, _COMM, _EXE, _CMDLINE, SYSLOG_IDENTIFIER, ...),
// plus the syslog-shaped names (message, host.hostname, process.name,
// process.pid, process.executable, process.command_line). Product is
// "linux", Service the syslog identifier as a Sigma service
// (LinuxService: sshd, sudo, cron, ...).
func (sh *shaper) addJournald(ev *detect.Event, v *jsonValue) error {
	sh.flattenJSON(ev, v, "", 0)
	addAliases(ev, journaldAliases)
	ev.Product = "linux"
	ev.Service = LinuxService(v.str("SYSLOG_IDENTIFIER"))
	ev.Host = v.str("_HOSTNAME")
	if us, err := strconv.ParseInt(v.str("__REALTIME_TIMESTAMP"), 10, 64); err == nil {
		ev.Time = time.UnixMicro(us).UTC()
	}
	return nil
}

var journaldAliases = newAliasTable([][2]string{
	{"MESSAGE", "message"}, {"_HOSTNAME", "host.hostname"},
	{"SYSLOG_IDENTIFIER", "process.name"}, {"_PID", "process.pid"},
	{"_EXE", "process.executable"}, {"_CMDLINE", "process.command_line"},
	{"_UID", "user.id"},
})

// cloudTrailAliases: CloudTrail records keep their own names (eventName,
// eventSource, userIdentity.arn, ...), which Sigma's AWS rules use.
var cloudTrailAliases = newAliasTable([][2]string{
	{"sourceIPAddress", "source.ip"}, {"userAgent", "user_agent.original"},
	{"userIdentity.userName", "user.name"}, {"eventName", "event.action"},
})
