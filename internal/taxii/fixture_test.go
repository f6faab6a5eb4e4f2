package taxii_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/taxii"
)

const password = "correct-horse-battery"

// fixture is a running hub with an organisation, a partner, tokens and
// a published warning list shared by a collection:
//
//	BHXHVN (admin)
//	├── ITC     (analyst: the SOC)
//	├── A       (officerA)
//	│   └── A1
//	├── B       (officerB)
//	└── DOITAC  (partner: a viewer with an API token)
type fixture struct {
	t      testing.TB
	db     *store.DB
	hub    *hub.Hub
	srv    *httptest.Server
	tokens map[string]string // actor -> API token
	emails map[string]string // actor -> e-mail
	ids    map[string]int64  // actor -> user id; unit code -> unit id
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: password}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	f := &fixture{t: t, db: db, hub: h, tokens: map[string]string{}, emails: map[string]string{}, ids: map[string]int64{}}
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Bảo hiểm xã hội huyện Krông Pắc", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "DOITAC", Name: "Đối tác chia sẻ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode},
	} {
		un, err := h.Org.CreateUnit(sys, u)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[u.Code] = un.ID
	}
	for _, a := range []struct {
		name string
		role auth.Role
		unit string
	}{
		{"admin", auth.RoleAdmin, org.RootCode}, {"analyst", auth.RoleAnalyst, "ITC"}, {"officerA", auth.RoleOfficer, "A"},
		{"officerA1", auth.RoleOfficer, "A1"}, {"officerB", auth.RoleOfficer, "B"}, {"partner", auth.RoleViewer, "DOITAC"},
	} {
		email := strings.ToLower(a.name) + "@test.vigil"
		if a.name != "admin" {
			if _, err := h.Org.CreateUser(sys, org.UserInput{Email: email, Name: "Người dùng " + a.name, Password: password, Role: string(a.role), Unit: a.unit}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := h.Auth.Login(auth.WithClientIP(ctx, "192.0.2.1"), email, password)
		if err != nil {
			t.Fatalf("login %s: %v", a.name, err)
		}
		_, secret, err := h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "taxii", 0)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[a.name], f.emails[a.name], f.ids[a.name] = secret, email, p.UserID
	}
	f.srv = httptest.NewServer(h.Server.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// as returns ctx carrying actor's principal.
func (f *fixture) as(actor string) context.Context {
	f.t.Helper()
	p, err := f.hub.Auth.TokenPrincipal(context.Background(), f.tokens[actor])
	if err != nil || p == nil {
		f.t.Fatalf("principal of %s: %v", actor, err)
	}
	return auth.WithPrincipal(context.Background(), p)
}

// seedInd is an indicator to put on a list.
type seedInd struct {
	Kind, Value, TLP string
	Unit             string // "" = every unit
}

// seedList stores indicators and a warning list holding them, the entries
// added one second apart from added.
func seedList(t testing.TB, db *store.DB, name, month, status string, added time.Time, inds []seedInd, unitIDs map[string]int64) int64 {
	t.Helper()
	ctx := context.Background()
	now := store.Micros(added)
	var listID int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var version int
		tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM warning_lists WHERE month = ?`, month).Scan(&version)
		if err := tx.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, issuer, status, status_since, entries, created_at, published_at)
			VALUES (?, ?, ?, 'IT Center', ?, ?, ?, ?, ?) RETURNING id`, name, month, version, status, now, len(inds), now, now).Scan(&listID); err != nil {
			return err
		}
		for i, in := range inds {
			tlp := in.TLP
			if tlp == "" {
				tlp = "amber"
			}
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM intel_indicators WHERE kind = ? AND value = ? AND source = 'IT Center'`, in.Kind, in.Value).Scan(&id)
			if store.IsNoRows(err) {
				err = tx.QueryRow(ctx, `INSERT INTO intel_indicators (kind, value, source, confidence, tlp, stix_id, created_at, updated_at)
					VALUES (?, ?, 'IT Center', 80, ?, ?, ?, ?) RETURNING id`, in.Kind, in.Value, tlp, "indicator--"+uuid.NewString(), now, now).Scan(&id)
			}
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, action, severity, reason, added_at) VALUES (?, ?, ?, 'block', 'high', ?, ?)`,
				listID, id, unitIDs[in.Unit], "Trong báo cáo kỹ thuật tháng "+month, now+int64(i)*1_000_000); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return listID
}

// sampleIndicators are n indicators of several kinds.
func sampleIndicators(n int) []seedInd {
	out := make([]seedInd, n)
	for i := range out {
		switch i % 4 {
		case 0:
			out[i] = seedInd{Kind: "ip", Value: fmt.Sprintf("198.%d.%d.%d", 18+i>>16, (i>>8)&255, i&255)}
		case 1:
			out[i] = seedInd{Kind: "domain", Value: fmt.Sprintf("c2-%d.example.net", i)}
		case 2:
			out[i] = seedInd{Kind: "sha256", Value: fmt.Sprintf("%064x", i+1)}
		case 3:
			out[i] = seedInd{Kind: "url", Value: fmt.Sprintf("http://bad-%d.example.org/payload?id='%d'", i, i)}
		}
	}
	return out
}

// share makes a collection of a list and grants it.
func (f *fixture) share(listID int64, selection string, grants ...taxii.GrantInput) *taxii.Collection {
	f.t.Helper()
	title := "Danh sách cảnh báo (hiện hành)"
	in := taxii.CollectionInput{Title: &title, Selection: &selection}
	if listID != 0 {
		in.ListID = &listID
	}
	c, err := f.hub.TAXII.CreateCollection(f.as("admin"), in)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, g := range grants {
		if c, err = f.hub.TAXII.GrantAccess(f.as("admin"), c.ID, g); err != nil {
			f.t.Fatal(err)
		}
	}
	return c
}
