package parse

import (
	"strings"

	"vigil/internal/detect"
)

// suricataAliases gives ECS-like names to Suricata EVE fields (after
// flattening); the EVE names are kept as well.
var suricataAliases = newAliasTable([][2]string{
	{"src_ip", "source.ip"}, {"src_port", "source.port"},
	{"dest_ip", "destination.ip"}, {"dest_port", "destination.port"},
	{"app_proto", "network.protocol"},
	{"alert.signature", "rule.name"}, {"alert.signature_id", "rule.id"}, {"alert.category", "rule.category"},
	{"alert.action", "event.action"},
	{"dns.rrname", "dns.question.name"}, {"dns.queries.0.rrname", "dns.question.name"},
	{"dns.rrtype", "dns.question.type"}, {"dns.queries.0.rrtype", "dns.question.type"},
	{"dns.rcode", "dns.response_code"},
	{"http.hostname", "url.domain"}, {"http.url", "url.original"},
	{"http.http_method", "http.request.method"}, {"http.status", "http.response.status_code"},
	{"http.http_user_agent", "user_agent.original"}, {"http.http_refer", "http.request.referrer"},
	{"tls.sni", "tls.server.name"}, {"tls.ja3.hash", "tls.client.ja3"}, {"tls.ja3s.hash", "tls.server.ja3s"},
	{"tls.subject", "tls.server.subject"}, {"tls.issuerdn", "tls.server.issuer"},
	{"fileinfo.filename", "file.name"}, {"fileinfo.md5", "file.hash.md5"}, {"fileinfo.sha256", "file.hash.sha256"},
	{"flow.bytes_toserver", "source.bytes"}, {"flow.bytes_toclient", "destination.bytes"},
	{"smb.filename", "file.path"},
})

// addSuricata maps Suricata EVE JSON: all fields flattened under their EVE
// names, plus ECS-like aliases. Product is "suricata", Service the
// event_type; DNS events get Category "dns".
func (sh *shaper) addSuricata(ev *detect.Event, v *jsonValue) error {
	sh.flattenJSON(ev, v, "", 0)
	addAliases(ev, suricataAliases)
	if p, ok := ev.Get("proto"); ok {
		ev.Add("network.transport", strings.ToLower(p))
	}
	ev.Product = "suricata"
	ev.Service = v.str("event_type")
	if ev.Service == "dns" {
		ev.Category = "dns"
	}
	ev.Time = parseAnyTime(v.get("timestamp"))
	if h, ok := ev.Get("host"); ok {
		ev.Host = h
	}
	return nil
}

// zeekAliases gives ECS-like names to Zeek fields; the Zeek names are kept
// (Sigma's Zeek rules use them).
var zeekAliases = newAliasTable([][2]string{
	{"id.orig_h", "source.ip"}, {"id.orig_p", "source.port"},
	{"id.resp_h", "destination.ip"}, {"id.resp_p", "destination.port"},
	{"query", "dns.question.name"}, {"qtype_name", "dns.question.type"}, {"rcode_name", "dns.response_code"},
	{"method", "http.request.method"}, {"host", "url.domain"}, {"uri", "url.original"},
	{"user_agent", "user_agent.original"}, {"status_code", "http.response.status_code"},
	{"referrer", "http.request.referrer"},
	{"server_name", "tls.server.name"}, {"ja3", "tls.client.ja3"}, {"ja3s", "tls.server.ja3s"},
	{"orig_bytes", "source.bytes"}, {"resp_bytes", "destination.bytes"},
	{"service", "network.protocol"},
})

// addZeek maps Zeek JSON logs: fields under Zeek's own names (id.orig_h,
// query, ...), ECS-like aliases, Product "zeek" and Service the log type
// (from _path, or guessed from the fields of the usual logs).
func (sh *shaper) addZeek(ev *detect.Event, v *jsonValue) error {
	sh.flattenJSON(ev, v, "", 0)
	addAliases(ev, zeekAliases)
	if p, ok := ev.Get("proto"); ok {
		ev.Add("network.transport", strings.ToLower(p))
	}
	ev.Product = "zeek"
	ev.Service = sh.zeekLogType(ev, v)
	if ev.Service == "dns" {
		ev.Category = "dns"
	}
	ev.Time = parseAnyTime(v.get("ts"))
	return nil
}

// zeekLogs are the log names Zeek writes (as files name.log, or in _path).
var zeekLogs = map[string]bool{
	"conn": true, "dns": true, "http": true, "ssl": true, "x509": true, "files": true, "smtp": true,
	"ssh": true, "ftp": true, "kerberos": true, "ntlm": true, "rdp": true, "dce_rpc": true,
	"smb_files": true, "smb_mapping": true, "dhcp": true, "sip": true, "snmp": true, "socks": true,
	"tunnel": true, "weird": true, "notice": true, "software": true, "pe": true, "irc": true,
	"radius": true, "mysql": true, "modbus": true, "dnp3": true, "ntp": true, "known_hosts": true,
	"known_services": true, "known_certs": true, "intel": true, "signatures": true, "ocsp": true,
	"quic": true, "ldap": true, "ldap_search": true,
}

// zeekLogType names a Zeek record's log: its _path, else the log the file
// is named after (dns.log, conn.00:00:00-01:00:00.log.gz), else a guess
// from the fields of the usual logs.
func (sh *shaper) zeekLogType(ev *detect.Event, v *jsonValue) string {
	if p := v.str("_path"); p != "" {
		return p
	}
	if sh != nil && sh.zeekLog != "" {
		return sh.zeekLog
	}
	has := func(k string) bool { _, ok := ev.Get(k); return ok }
	switch {
	case has("query") && has("qtype_name") || has("trans_id") && has("rcode"):
		return "dns"
	case has("method") && has("uri"):
		return "http"
	case has("server_name") || has("ja3") || has("cipher") && has("established"):
		return "ssl"
	case has("conn_state"):
		return "conn"
	case has("mailfrom") || has("rcptto"):
		return "smtp"
	case has("fuid") && has("action") && has("path"):
		return "smb_files"
	case has("fuid") && has("mime_type") || has("tx_hosts"):
		return "files"
	case has("cookie") && has("security_protocol"):
		return "rdp"
	case has("client") && has("server") && has("auth_success"):
		return "ssh"
	case has("request_type") && has("service"):
		return "kerberos"
	case has("operation") && has("endpoint"):
		return "dce_rpc"
	case has("action") && has("path") && has("share_type") || has("share_type"):
		return "smb_mapping"
	case has("fingerprint") && has("certificate.subject"):
		return "x509"
	}
	return ""
}

// zeekLogFromName returns the Zeek log a file is named after, or "".
func zeekLogFromName(source string) string {
	base := source
	if i := strings.LastIndexAny(base, "/\\"); i >= 0 {
		base = base[i+1:]
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if zeekLogs[base] {
		return base
	}
	return ""
}
