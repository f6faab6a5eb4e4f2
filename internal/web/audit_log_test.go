package web_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// TestAuditRowsKeepTheirDeletedUnit: a deleted unit's id is never given to
// a new unit (AUTOINCREMENT on SQLite, an identity on PostgreSQL), so an
// officer who creates a unit right after an admin deleted one elsewhere
// does not inherit that unit's audit rows (audit_log.unit_id has no
// foreign key and audit.List scopes by it).
func TestAuditRowsKeepTheirDeletedUnit(t *testing.T) {
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

// TestLoginAuditBounded: what an anonymous caller types as an e-mail never
// reaches the append-only audit log as typed (it cannot be pruned without
// breaking the chain, and people type passwords there): a failed sign-in
// records at most a fixed-size fingerprint.
func TestLoginAuditBounded(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	big := strings.Repeat("x", 4<<20) + "@test.vigil"
	r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": big, "password": "whatever-password"})
	if r.Status != 401 && r.Status != 413 { // 413 since the sign-in body is capped at 16 KiB
		t.Errorf("a 4 MiB e-mail: %d, want 401 or 413", r.Status)
	}
	var n int
	db.QueryRow(context.Background(), `SELECT MAX(LENGTH(object_id)) FROM audit_log WHERE action = 'auth.login_failed'`).Scan(&n)
	if n > 1024 {
		t.Errorf("one anonymous request wrote a %d-byte object_id into the audit log", n)
	}
}
