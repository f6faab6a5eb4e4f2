package watchlist_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/watchlist"
)

// fixture is a small organisation: units A (with A1 under it) and B, an
// officer in A and B, an analyst at the IT Center, and hosts.
type fixture struct {
	db       *store.DB
	svc      *watchlist.Service
	sys      context.Context
	officerA context.Context
	officerB context.Context
	analyst  context.Context
	now      time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm CNTT", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, sys: sys, now: time.Now().UTC().Truncate(time.Second)}
	f.svc = &watchlist.Service{DB: db, Now: func() time.Time { return f.now }}
	users := map[string]struct {
		role auth.Role
		unit string
	}{"officer-a@test.vigil": {auth.RoleOfficer, "A"}, "officer-b@test.vigil": {auth.RoleOfficer, "B"}, "analyst@test.vigil": {auth.RoleAnalyst, "ITC"}}
	ctxs := map[string]context.Context{}
	for email, u := range users {
		if _, err := o.CreateUser(sys, org.UserInput{Email: email, Name: email, Role: string(u.role), Unit: u.unit, Password: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		var p auth.Principal
		if err := db.QueryRow(sys, `SELECT us.id, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
			Scan(&p.UserID, &p.UnitID, &p.UnitCode, &p.UnitPath); err != nil {
			t.Fatal(err)
		}
		p.Email, p.Role, p.Via = email, u.role, "token"
		ctxs[email] = auth.WithPrincipal(context.Background(), &p)
	}
	f.officerA, f.officerB, f.analyst = ctxs["officer-a@test.vigil"], ctxs["officer-b@test.vigil"], ctxs["analyst@test.vigil"]
	return f
}

// host adds a host with an inventory to unit.
func (f *fixture) host(t *testing.T, unit, name string, inv *asset.Inventory) int64 {
	t.Helper()
	raw := ""
	addrs := ""
	if inv != nil {
		inv.Hostname = name
		b, err := json.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
		addrs = strings.Join(inv.Addresses(), " ")
	}
	var id int64
	now := store.Micros(f.now)
	err := f.db.QueryRow(context.Background(), `INSERT INTO hosts (unit_id, hostname, hostname_key, addresses, source, first_seen_at, last_seen_at, inventory_at, inventory_hash, inventory)
		SELECT id, ?, ?, ?, 'agent', ?, ?, ?, ?, ? FROM units WHERE code = ? RETURNING id`, name, strings.ToLower(name), addrs, now, now, now, "h"+name, raw, unit).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// indicator is one entry of a test list.
type indicator struct {
	kind, value string
	unit        string // "" = all units
	action      string
	severity    string
	reason      string
}

// list stores a warning list with its indicators, published, through SQL
// (the tables of migration 0019).
func (f *fixture) list(t *testing.T, name string, retroDays int, inds []indicator) int64 {
	t.Helper()
	ctx := context.Background()
	now := store.Micros(f.now)
	var listID int64
	month := f.now.Format("2006-01")
	var version int
	f.db.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM warning_lists WHERE month = ?`, month).Scan(&version)
	err := f.db.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, issuer, status, status_since, retro_days, entries, created_by, created_at, published_by, published_at)
		VALUES (?, ?, ?, 'IT Center', 'published', ?, ?, ?, 'system', ?, 'system', ?) RETURNING id`, name, month, version, now, retroDays, len(inds), now, now).Scan(&listID)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inds {
		var id int64
		err := f.db.QueryRow(ctx, `SELECT id FROM intel_indicators WHERE kind = ? AND value = ? AND source = 'test'`, in.kind, in.value).Scan(&id)
		if store.IsNoRows(err) {
			err = f.db.QueryRow(ctx, `INSERT INTO intel_indicators (kind, value, source, stix_id, created_at, updated_at) VALUES (?, ?, 'test', ?, ?, ?) RETURNING id`,
				in.kind, in.value, "indicator--test-"+name+"-"+itoa(i), now, now).Scan(&id)
		}
		if err != nil {
			t.Fatal(err)
		}
		var unitID int64
		if in.unit != "" {
			if err := f.db.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, in.unit).Scan(&unitID); err != nil {
				t.Fatal(err)
			}
		}
		sev := in.severity
		if sev == "" {
			sev = "high"
		}
		if _, err := f.db.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, action, severity, reason, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			listID, id, unitID, in.action, sev, in.reason, now); err != nil {
			t.Fatal(err)
		}
	}
	return listID
}

// publish starts matching a list and waits for it.
func (f *fixture) publish(t *testing.T, listID int64) {
	t.Helper()
	if err := f.svc.Start(f.sys, listID); err != nil {
		t.Fatal(err)
	}
	f.svc.Wait()
	runs, err := f.svc.Runs(f.analyst, listID, 1)
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	if runs[0].Status != watchlist.RunDone {
		t.Fatalf("run %+v", runs[0])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// workstation is an inventory with an address, accounts and processes.
func workstation(addr string, accounts []asset.Account, procs []asset.Process) *asset.Inventory {
	return &asset.Inventory{
		CollectedAt: time.Now().UTC(),
		OS:          asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro", Version: "10.0.22631"},
		Interfaces:  []asset.Interface{{Name: "Ethernet", MAC: "00:15:5d:01:02:03", Addresses: []string{addr + "/24"}}},
		Accounts:    accounts,
		Processes:   procs,
	}
}
