package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/outbox"
	"vigil/internal/store"
)

// outboxFor configures the initial report's recipients (as the admin)
// and queues a report of unit (an e-mail and an HTTP delivery); it
// returns the deliveries' ids.
func (w *world) outboxFor(t *testing.T, unit, key string) []string {
	t.Helper()
	expect(t, w.call("admin", "PUT", "/api/v1/outbox/settings/incident_initial", map[string]any{
		"coordinator_emails": []string{"ir@vncert.test"}, "http_url": "http://127.0.0.1:9/irlab", "secret": "outbox-secret-0123456789"}), 200, "admin sets recipients")
	var unitID int64
	if err := w.db.QueryRow(context.Background(), `SELECT id FROM units WHERE code = ?`, unit).Scan(&unitID); err != nil {
		t.Fatal(err)
	}
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	var ids []int64
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = w.hub.Outbox.Enqueue(ctx, tx, outbox.Message{Purpose: outbox.PurposeInitial, ObjectType: "incident", ObjectID: key, UnitID: unitID,
			Subject: "[TBSC] Báo cáo sự cố " + unit, Body: "Báo cáo đính kèm.", Files: []outbox.File{{Name: "bc.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}},
			JSON: []byte(`{"unit":"` + unit + `"}`), Key: key})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprint(id)
	}
	return out
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/outbox": func(t *testing.T, w *world) {
			forA := w.outboxFor(t, "A1", "ka")
			forB := w.outboxFor(t, "B", "kb")
			ids := func(actor, q string) map[string]bool {
				return codes(t, w.call(actor, "GET", "/api/v1/outbox"+q, nil), "id")
			}
			if got := ids("officerA", ""); len(got) != 2 || !got[forA[0]] || got[forB[0]] {
				t.Errorf("officerA lists %v; want %v", got, forA)
			}
			if got := ids("officerB", ""); len(got) != 2 || !got[forB[1]] || got[forA[1]] {
				t.Errorf("officerB lists %v; want %v", got, forB)
			}
			if got := ids("analyst", ""); len(got) != 4 {
				t.Errorf("analyst lists %v; want all four", got)
			}
			if got := ids("admin", "?channel=http&unit=A"); len(got) != 1 || !got[forA[1]] {
				t.Errorf("admin filters: %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/outbox?unit=B", nil), 400, "officerA filters on B")
			expect(t, w.call("officerA", "GET", "/api/v1/outbox?status=bogus", nil), 400, "bad status")
			r := w.call("officerA", "GET", "/api/v1/outbox?format=csv", nil)
			expect(t, r, 200, "officerA exports")
			if strings.Contains(string(r.Body), "Báo cáo sự cố B") || !strings.Contains(string(r.Body), "Báo cáo sự cố A1") {
				t.Errorf("officerA's export: %s", r.Body)
			}
			if strings.Contains(string(r.Body), "outbox-secret") {
				t.Error("a secret in the export")
			}
			expect(t, w.call("officerA", "GET", "/api/v1/outbox?format=xlsx", nil), 200, "officerA exports XLSX")
		},
		"GET /api/v1/outbox/{id}": func(t *testing.T, w *world) {
			forA := w.outboxFor(t, "A", "ka")
			expect(t, w.call("officerB", "GET", "/api/v1/outbox/"+forA[0], nil), 404, "officerB reads A's")
			r := w.call("viewerA", "GET", "/api/v1/outbox/"+forA[1], nil)
			expect(t, r, 200, "viewerA reads A's")
			if m := r.json(t); m["channel"] != "http" || m["status"] != "pending" || strings.Contains(string(r.Body), "outbox-secret") {
				t.Errorf("delivery: %s", r.Body)
			}
		},
		"POST /api/v1/outbox/{id}/retry": func(t *testing.T, w *world) {
			forA := w.outboxFor(t, "A", "ka")
			expect(t, w.call("officerB", "POST", "/api/v1/outbox/"+forA[0]+"/retry", nil), 404, "officerB retries A's")
			expect(t, w.call("viewerA", "POST", "/api/v1/outbox/"+forA[0]+"/retry", nil), 403, "viewerA retries")
			expect(t, w.call("analyst", "POST", "/api/v1/outbox/"+forA[0]+"/retry", nil), 403, "analyst retries")
			expect(t, w.call("officerA", "POST", "/api/v1/outbox/"+forA[0]+"/retry", nil), 200, "officerA retries")
		},
		"GET /api/v1/outbox/settings": func(t *testing.T, w *world) {
			w.outboxFor(t, "A", "ka")
			expect(t, w.call("officerA", "GET", "/api/v1/outbox/settings", nil), 403, "officerA reads the recipients")
			r := w.call("analyst", "GET", "/api/v1/outbox/settings", nil)
			expect(t, r, 200, "analyst reads the recipients")
			if strings.Contains(string(r.Body), "outbox-secret") || !strings.Contains(string(r.Body), `"secret_hint":"…6789"`) {
				t.Errorf("settings show the secret or no hint: %s", r.Body)
			}
		},
		"PUT /api/v1/outbox/settings/{purpose}": func(t *testing.T, w *world) {
			in := map[string]any{"owner_emails": []string{"cntt@vss.test"}}
			expect(t, w.call("officerA", "PUT", "/api/v1/outbox/settings/incident_final", in), 403, "officerA sets recipients")
			expect(t, w.call("analyst", "PUT", "/api/v1/outbox/settings/incident_final", in), 403, "analyst sets recipients")
			expect(t, w.call("admin", "PUT", "/api/v1/outbox/settings/gossip", in), 400, "unknown purpose")
			r := w.call("admin", "PUT", "/api/v1/outbox/settings/incident_final", map[string]any{"owner_emails": []string{"not an address"}})
			expect(t, r, 400, "bad address")
			if !strings.Contains(string(r.Body), "owner_emails") {
				t.Errorf("the refusal names no field: %s", r.Body)
			}
			expect(t, w.call("admin", "PUT", "/api/v1/outbox/settings/incident_final", in), 200, "admin sets recipients")
		},
	} {
		scopeMatrix[k] = v
	}
}
