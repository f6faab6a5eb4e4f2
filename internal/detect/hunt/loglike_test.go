package hunt

import "testing"

func TestLogLike(t *testing.T) {
	for p, want := range map[string]bool{
		"Security.evtx": true, "eve.json": true, "auth.log": true, "syslog.1": true, "auth.log.2.gz": true,
		"/var/log/messages": true, "messages-20240210": true, "export.xml": true, "dump.bz2": true,
		"/var/log/wtmp": false, "btmp": false, "notes.pdf": false, "tool.exe": false, ".hidden": false, "rules.yml": false,
	} {
		if got := logLike(p); got != want {
			t.Errorf("logLike(%q) = %v, want %v", p, got, want)
		}
	}
}
