package parse

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"vigil/internal/detect"
)

// now is the clock RFC 3164 timestamps (which have no year) are placed
// against; tests replace it.
var now = time.Now

var facilityNames = [...]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

var severityNames = [...]string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}

// parseTextLine fills ev from one line of text: an optional syslog header
// (RFC 5424, RFC 3164, or the ISO-timestamped variant rsyslog writes to
// files), then a CEF or LEEF payload, or plain text. A line matching none
// of these is still an event: its text is the message, so keyword rules
// apply to it.
func parseTextLine(ev *detect.Event, line []byte) error {
	payload := parseSyslogHeader(ev, line)
	switch {
	case bytes.HasPrefix(payload, []byte("CEF:")):
		return parseCEF(ev, payload)
	case bytes.HasPrefix(payload, []byte("LEEF:")):
		return parseLEEF(ev, payload)
	case isAuditd(payload):
		return parseAuditd(ev, payload)
	case bytes.HasPrefix(payload, []byte("<Event")):
		return parseXMLEventLine(ev, payload)
	case isFortiGate(payload):
		return parseFortiGate(ev, payload)
	}
	if i := bytes.Index(payload, []byte("CEF:")); i > 0 && bytes.Count(payload[i:], []byte("|")) >= 7 {
		// Some senders put their own prefix before CEF.
		return parseCEF(ev, payload[i:])
	}
	if isCombinedLog(payload) && parseCombinedLog(ev, payload) {
		return nil
	}
	if ev.Service == "" {
		ev.Add("message", string(payload))
		addCiscoTag(ev, payload)
		return nil
	}
	// A syslog line with a program name. The whole line is kept too, as
	// event.original: Sigma's keyword rules are written for full-text
	// search over the line (named's rule looks for " denied AXFR from ",
	// space first, and the message starts with "denied"). The message is
	// cut from the same string, so this costs no allocation.
	full := string(line)
	msg := string(payload)
	if off := len(line) - len(payload); len(payload) > 0 && off >= 0 && &line[off] == &payload[0] {
		msg = full[off:]
	}
	ev.Add("message", msg)
	addCiscoTag(ev, payload)
	if ev.Product == "" {
		// A Unix host's log, which SigmaHQ's Linux rules select by
		// product linux and the program's service (sshd, cron, ...).
		ev.Product = "linux"
		ev.Service = LinuxService(ev.Service)
		ev.Add("event.original", full)
	}
	return nil
}

// LinuxService names the Sigma service of a Linux log line from the
// program that wrote it (the syslog tag or journal identifier), as
// SigmaHQ's rules for product linux expect: OpenSSH's sshd and its
// per-session processes are sshd, cron daemons and crontab are cron,
// ClamAV's daemons clamav, guacd guacamole; other programs keep their
// name, lower-cased. Rules for service syslog apply to all of them (see
// sigma's routing): they are all syslog.
func LinuxService(program string) string {
	p := strings.ToLower(program)
	if s, ok := linuxServices[p]; ok {
		return s
	}
	if strings.HasPrefix(p, "clam") {
		return "clamav"
	}
	return p
}

var linuxServices = map[string]string{
	"sshd": "sshd", "sshd-session": "sshd", "sshd-auth": "sshd", "sshd-keygen": "sshd",
	"cron": "cron", "crond": "cron", "crontab": "cron", "anacron": "cron",
	"freshclam": "clamav",
	"guacd":     "guacamole", "guacamole": "guacamole",
	"vsftpd": "vsftpd",
}

// parseSyslogHeader adds the syslog header's fields and returns the
// message part; a line without a recognisable header is returned whole.
func parseSyslogHeader(ev *detect.Event, line []byte) []byte {
	rest := line
	pri := -1
	if len(rest) > 2 && rest[0] == '<' {
		if end := bytes.IndexByte(rest[:min(len(rest), 5)], '>'); end > 1 {
			if n, err := strconv.Atoi(string(rest[1:end])); err == nil && n >= 0 && n <= 191 {
				pri = n
				rest = rest[end+1:]
			}
		}
	}
	if pri >= 0 {
		ev.Add("log.syslog.priority", strconv.Itoa(pri))
		ev.Add("log.syslog.facility.code", strconv.Itoa(pri/8))
		ev.Add("log.syslog.facility.name", facilityNames[pri/8])
		ev.Add("log.syslog.severity.code", strconv.Itoa(pri%8))
		ev.Add("log.syslog.severity.name", severityNames[pri%8])
		// RFC 5424: version 1, then space.
		if len(rest) > 2 && rest[0] >= '1' && rest[0] <= '9' && rest[1] == ' ' {
			if msg, ok := parse5424(ev, rest[2:]); ok {
				ev.Add("log.syslog.version", string(rest[0]))
				return msg
			}
		}
	}
	if msg, ok := parse3164(ev, rest); ok {
		return msg
	}
	return rest
}

// field5424 splits off one space-terminated header field; "-" is nil.
func field5424(b []byte) (field, rest []byte, ok bool) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		if len(b) == 0 {
			return nil, nil, false
		}
		i = len(b)
	}
	field, rest = b[:i], b[min(i+1, len(b)):]
	if len(field) == 1 && field[0] == '-' {
		field = nil
	}
	return field, rest, true
}

// parse5424 reads "TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]".
func parse5424(ev *detect.Event, b []byte) ([]byte, bool) {
	var ts, host, app, procid, msgid []byte
	var ok bool
	fields := []*[]byte{&ts, &host, &app, &procid, &msgid}
	for _, f := range fields {
		if *f, b, ok = field5424(b); !ok {
			return nil, false
		}
	}
	if ts != nil {
		t, err := time.Parse(time.RFC3339Nano, string(ts))
		if err != nil {
			return nil, false
		}
		ev.Time = t.UTC()
	}
	sdStart := len(ev.Fields)
	msg, err := parseStructuredData(ev, b)
	if err != nil {
		ev.Fields = ev.Fields[:sdStart]
		return nil, false
	}
	addHeader(ev, host, app, procid)
	if msgid != nil {
		ev.Add("log.syslog.msgid", string(msgid))
	}
	// A BOM may introduce a UTF-8 message.
	msg = bytes.TrimPrefix(msg, utf8BOM)
	return msg, true
}

func addHeader(ev *detect.Event, host, app, procid []byte) {
	if host != nil {
		ev.Host = string(host)
		ev.Add("host.hostname", ev.Host)
	}
	if app != nil {
		ev.Add("process.name", string(app))
		ev.Service = string(app)
	}
	if procid != nil {
		ev.Add("process.pid", string(procid))
	}
}

var errStructuredData = errors.New("syslog: malformed structured data")

// parseStructuredData reads "-" or one or more [id param="value" ...]
// elements and returns what follows. Params become
// log.syslog.structured_data.<id>.<param>.
func parseStructuredData(ev *detect.Event, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return b, nil
	}
	if b[0] == '-' {
		return bytes.TrimPrefix(b[1:], []byte{' '}), nil
	}
	for len(b) > 0 && b[0] == '[' {
		b = b[1:]
		end := bytes.IndexAny(b, " ]")
		if end <= 0 {
			return nil, errStructuredData
		}
		id := string(b[:end])
		b = b[end:]
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
			eq := bytes.IndexByte(b, '=')
			if eq <= 0 || eq+1 >= len(b) || b[eq+1] != '"' {
				return nil, errStructuredData
			}
			name := string(b[:eq])
			b = b[eq+2:]
			var val []byte
			closed := false
			for i := 0; i < len(b); i++ {
				if b[i] == '\\' && i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\' || b[i+1] == ']') {
					val = append(val, b[i+1])
					i++
					continue
				}
				if b[i] == '"' {
					b = b[i+1:]
					closed = true
					break
				}
				val = append(val, b[i])
			}
			if !closed {
				return nil, errStructuredData
			}
			ev.Add("log.syslog.structured_data."+id+"."+name, string(val))
		}
		if len(b) == 0 || b[0] != ']' {
			return nil, errStructuredData
		}
		b = b[1:]
	}
	return bytes.TrimPrefix(b, []byte{' '}), nil
}

// parse3164 reads "Mmm dd hh:mm:ss HOST TAG[PID]: MSG" or the same with an
// RFC 3339 timestamp; the host is absent in some local logs.
func parse3164(ev *detect.Event, b []byte) ([]byte, bool) {
	var t time.Time
	var rest []byte
	if len(b) >= 16 && b[3] == ' ' && b[6] == ' ' && b[9] == ':' && b[12] == ':' {
		ts := string(b[:15])
		if ts[4] == ' ' {
			ts = ts[:4] + "0" + ts[5:]
		}
		parsed, err := time.Parse("Jan 02 15:04:05", ts)
		if err != nil {
			return nil, false
		}
		t = placeYear(parsed)
		rest = b[15:]
		// Fractional seconds some devices add.
		if len(rest) > 1 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if frac, err := strconv.ParseFloat("0"+string(rest[:i]), 64); err == nil {
				t = t.Add(time.Duration(frac * float64(time.Second)))
			}
			rest = rest[i:]
		}
	} else if len(b) >= 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, false
		}
		parsed, err := time.Parse(time.RFC3339Nano, string(b[:sp]))
		if err != nil {
			return nil, false
		}
		t = parsed
		rest = b[sp:]
	} else {
		return nil, false
	}
	if len(rest) == 0 || rest[0] != ' ' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest, " ")
	ev.Time = t.UTC()
	// HOST is a word without ':' or '['; a word ending in ':' or holding
	// '[' is the tag of a host-less line.
	var host []byte
	if sp := bytes.IndexByte(rest, ' '); sp > 0 {
		word := rest[:sp]
		if !bytes.ContainsAny(word, ":[") {
			host = word
			rest = rest[sp+1:]
		}
	}
	var app, pid []byte
	if colon := bytes.Index(rest, []byte(": ")); colon > 0 && colon < 64 && !bytes.ContainsRune(rest[:colon], ' ') {
		tag := rest[:colon]
		if lb := bytes.IndexByte(tag, '['); lb > 0 && tag[len(tag)-1] == ']' {
			app, pid = tag[:lb], tag[lb+1:len(tag)-1]
		} else {
			app = tag
		}
		rest = rest[colon+2:]
	}
	addHeader(ev, host, app, pid)
	return rest, true
}

// placeYear gives a year-less timestamp the year that puts it closest
// before now (logs are read after they are written; a December line read
// in January belongs to last year).
func placeYear(t time.Time) time.Time {
	n := now()
	y := n.Year()
	t = time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if t.After(n.Add(31 * 24 * time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	return t
}
