package web_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// TestReviewAuditUnitIDReuse: on SQLite, units.id is "INTEGER PRIMARY KEY"
// without AUTOINCREMENT, so deleting the newest unit frees its id for the
// next unit created anywhere. audit_log.unit_id has no foreign key and
// audit.List scopes rows by unit_id alone, so the new unit inherits the
// deleted unit's audit history: an officer of A who creates a unit right
// after an admin deleted one under B reads B's audit rows (contact names,
// phones, e-mails, users created there, ...).
func TestReviewAuditUnitIDReuse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	// An admin makes a unit under B, records a contact there, then tidies up.
	expect(t, w.call("admin", "POST", "/api/v1/units", map[string]string{"code": "B-TMP", "name": "Tạm", "kind": "district", "parent": "B"}), 201, "admin creates B-TMP")
	r := w.call("admin", "POST", "/api/v1/units/B-TMP/contacts", map[string]string{"name": "Secret Person of B", "phone": "0987 654 321", "email": "secret.b@test.vigil"})
	expect(t, r, 201, "contact in B-TMP")
	expect(t, w.call("admin", "DELETE", "/api/v1/contacts/"+itoa(int64(r.json(t)["id"].(float64))), nil), 204, "delete contact")
	expect(t, w.call("admin", "DELETE", "/api/v1/units/B-TMP", nil), 204, "delete B-TMP")

	// Officer A creates a unit of its own and browses its audit log.
	expect(t, w.call("officerA", "POST", "/api/v1/units", map[string]string{"code": "A-NEW", "name": "Mới", "kind": "district", "parent": "A"}), 201, "officerA creates A-NEW")
	body := string(w.call("officerA", "GET", "/api/v1/audit?limit=1000", nil).Body)
	for _, leak := range []string{"Secret Person of B", "0987 654 321", "secret.b@test.vigil", "B-TMP"} {
		if strings.Contains(body, leak) {
			t.Errorf("officer of A reads %q from B's audit rows (unit id reused)", leak)
		}
	}
}

// TestReviewLoginAuditUnbounded: Login (service.go:70-73) writes the e-mail
// an anonymous caller typed, unchecked and unbounded, into the append-only
// audit log as object_id of "auth.login_failed". POST /api/v1/auth/token
// accepts a 10 MiB JSON body, so each anonymous request adds up to 10 MiB
// to a log that can never be pruned without breaking the chain (20 at once
// and 30 a minute per address, unlimited with a spoofed X-Forwarded-For
// under --trust-proxy): disk exhaustion and an ever slower `audit verify`.
// It also records whatever was typed in the e-mail field, passwords
// included. Fix: validate the e-mail (length <= 254, mail.ParseAddress)
// before the lookup, and log unknown accounts as a fixed-size fingerprint
// (or not at all).
func TestReviewLoginAuditUnbounded(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	big := strings.Repeat("x", 4<<20) + "@test.vigil"
	r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": big, "password": "whatever-password"})
	expect(t, r, 401, "unknown account")
	var n int
	db.QueryRow(context.Background(), `SELECT MAX(LENGTH(object_id)) FROM audit_log WHERE action = 'auth.login_failed'`).Scan(&n)
	if n > 1024 {
		t.Errorf("one anonymous request wrote a %d-byte object_id into the audit log", n)
	}
}
