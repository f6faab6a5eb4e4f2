package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// lockedBuffer is a log destination the handlers and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDatabaseErrorIsInternalNotNotFound: when the database fails, the API
// answers 500 and logs the failure through the server's configured logger;
// it does not answer 404 as if the object were missing or out of scope.
// Missing and out-of-scope objects still answer 404 alike.
func TestDatabaseErrorIsInternalNotNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs lockedBuffer
		w := newWorldLogging(t, db, slog.New(slog.NewTextHandler(&logs, nil)))
		host := "/api/v1/hosts/" + itoa(w.hostIDs["A"])
		expect(t, w.call("officerA", "GET", host, nil), 200, "officer A reads its host")
		expect(t, w.call("officerB", "GET", host, nil), 404, "officer B: another unit's host")
		expect(t, w.call("officerA", "GET", "/api/v1/hosts/999999", nil), 404, "no such host")
		expect(t, w.call("officerA", "GET", "/api/v1/units/NOPE", nil), 404, "no such unit")

		// The hosts table goes away under the hub: reads of hosts fail.
		if _, err := w.db.Exec(context.Background(), `ALTER TABLE hosts RENAME TO hosts_gone`); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{host, host + "/changes", "/api/v1/hosts?unit=A"} {
			r := w.call("officerA", "GET", path, nil)
			if r.Status != 500 {
				t.Errorf("GET %s with the hosts table gone: %d %s, want 500", path, r.Status, r.Body)
				continue
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || body.Error.Code != "internal" || strings.Contains(body.Error.Message, "hosts_gone") {
				t.Errorf("GET %s: body %s, want the internal error shape without details", path, r.Body)
			}
		}
		if got := logs.String(); !strings.Contains(got, "internal error") || !strings.Contains(got, "hosts") {
			t.Errorf("the failure was not logged through the configured logger; log:\n%s", got)
		}
		// Other objects are unaffected.
		expect(t, w.call("officerA", "GET", "/api/v1/units/A", nil), 200, "unit A")
	})
}

// TestDashboardShowsAuditFailure: the dashboard's recent-activity query
// failing is an error page, not a dashboard silently missing its list.
func TestDashboardShowsAuditFailure(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		b := newFormClient(t, w)
		if s := b.login("admin@test.vigil", testPassword); s != 303 {
			t.Fatalf("login: %d", s)
		}
		if s, _, _ := b.do("GET", "/", nil, nil); s != 200 {
			t.Fatalf("dashboard: %d", s)
		}
		if _, err := w.db.Exec(context.Background(), `ALTER TABLE audit_log RENAME TO audit_gone`); err != nil {
			t.Fatal(err)
		}
		if s, body, _ := b.do("GET", "/", nil, nil); s != 500 {
			t.Errorf("dashboard with the audit log gone: %d, want 500\n%.400s", s, body)
		}
	})
}
