package findings_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// fixture is two provinces with a host each and an officer in each.
type fixture struct {
	db       *store.DB
	svc      *findings.Service
	sys      context.Context
	officerA context.Context
	officerB context.Context
	analyst  context.Context
	hostA    int64
	hostB    int64
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
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, sys: sys, now: time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC)}
	f.svc = &findings.Service{DB: db, Now: func() time.Time { return f.now }}
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
	f.hostA, f.hostB = addHost(t, db, "A", "pc-a"), addHost(t, db, "B", "pc-b")
	return f
}

func addHost(t *testing.T, db *store.DB, unit, name string) int64 {
	t.Helper()
	var id int64
	now := store.Now()
	err := db.QueryRow(context.Background(), `INSERT INTO hosts (unit_id, hostname, hostname_key, source, first_seen_at, last_seen_at)
		SELECT id, ?, ?, 'csv', ?, ? FROM units WHERE code = ? RETURNING id`, name, name, now, now, unit).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// record files an observation in its own transaction, as a feeder would.
func (f *fixture) record(t *testing.T, o findings.Observation) (int64, findings.Outcome) {
	t.Helper()
	var id int64
	var out findings.Outcome
	err := f.db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, out, err = findings.Record(context.Background(), tx, o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, out
}

func malware(host int64, path string, at time.Time) findings.Observation {
	return findings.Observation{HostID: host, Kind: findings.KindMalware, Key: "file|sha256:abc|" + path, Title: "Mã độc đánh cắp thông tin",
		Severity: findings.SeverityHigh, Source: "scan task t1", SeenAt: at,
		Evidence: findings.MalwareEvidence{Match: "file", IndicatorType: "sha256", Indicator: "abc", Path: path}}
}

func str(s string) *string { return &s }

func TestRecordLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		seen := f.now.Add(-48 * time.Hour)
		id, out := f.record(t, malware(f.hostA, `C:\x.exe`, seen))
		if out != findings.Created {
			t.Fatalf("first sighting: outcome %d", out)
		}
		got, err := f.svc.Get(f.officerA, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != findings.StatusOpen || got.Unit != "A" || got.Hostname != "pc-a" || got.TimesSeen != 1 || !got.FirstSeen.Equal(seen) {
			t.Fatalf("new finding: %+v", got)
		}
		// Due seven days after it was first seen for "high"; two days left.
		if want := seen.Add(7 * 24 * time.Hour); !got.DueAt.Equal(want) || got.Overdue {
			t.Fatalf("due %v overdue %v, want %v and not overdue", got.DueAt, got.Overdue, want)
		}
		var ev findings.MalwareEvidence
		if err := json.Unmarshal(got.Evidence, &ev); err != nil || ev.Path != `C:\x.exe` || ev.Indicator != "abc" {
			t.Fatalf("evidence %s: %v", got.Evidence, err)
		}

		// The same problem reported again: one finding, seen twice.
		if id2, out := f.record(t, malware(f.hostA, `C:\x.exe`, f.now)); id2 != id || out != findings.Updated {
			t.Fatalf("second sighting: id %d outcome %d", id2, out)
		}
		// Another path is another finding.
		if id3, out := f.record(t, malware(f.hostA, `C:\y.exe`, f.now)); id3 == id || out != findings.Created {
			t.Fatalf("other path: id %d outcome %d", id3, out)
		}

		// Resolved, then seen again: reopened, due again, audited.
		if _, err := f.svc.Update(f.officerA, id, findings.Update{Status: str(findings.StatusResolved), Note: str("deleted and re-scanned")}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Hour)
		if _, out := f.record(t, malware(f.hostA, `C:\x.exe`, f.now)); out != findings.Reopened {
			t.Fatalf("after resolution: outcome %d", out)
		}
		got, _ = f.svc.Get(f.officerA, id)
		if got.Status != findings.StatusOpen || got.Reopened != 1 || got.TimesSeen != 3 || !got.StatusSince.Equal(f.now) {
			t.Fatalf("reopened: %+v", got)
		}
		recs, _, err := audit.List(f.sys, db, audit.Filter{Action: "finding.reopen"})
		if err != nil || len(recs) != 1 || recs[0].ObjectID != itoa(id) {
			t.Fatalf("reopen audit: %+v %v", recs, err)
		}

		// A false positive stays one.
		if _, err := f.svc.Update(f.officerA, id, findings.Update{Status: str(findings.StatusFalsePositive), Note: str("hash of an in-house tool")}); err != nil {
			t.Fatal(err)
		}
		if _, out := f.record(t, malware(f.hostA, `C:\x.exe`, f.now)); out != findings.Suppressed {
			t.Fatalf("false positive seen again: outcome %d", out)
		}
		if got, _ = f.svc.Get(f.officerA, id); got.Status != findings.StatusFalsePositive {
			t.Fatalf("false positive reopened: %s", got.Status)
		}
	})
}

func TestRecordRefusesBadObservations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for name, o := range map[string]findings.Observation{
			"kind":     {HostID: f.hostA, Kind: "virus", Key: "k", Title: "x", Severity: findings.SeverityLow},
			"severity": {HostID: f.hostA, Kind: findings.KindMalware, Key: "k", Title: "x", Severity: "urgent"},
			"host":     {Kind: findings.KindMalware, Key: "k", Title: "x", Severity: findings.SeverityLow},
			"key":      {HostID: f.hostA, Kind: findings.KindMalware, Key: " ", Title: "x", Severity: findings.SeverityLow},
		} {
			err := db.InTx(context.Background(), func(tx *store.Tx) error {
				_, _, err := findings.Record(context.Background(), tx, o)
				return err
			})
			if err == nil {
				t.Errorf("%s: recorded a bad observation", name)
			}
		}
	})
}

func TestListFiltersAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		old := f.now.Add(-10 * 24 * time.Hour)
		overdue, _ := f.record(t, malware(f.hostA, "/tmp/a", old)) // high, due 3 days ago
		f.record(t, findings.Observation{HostID: f.hostA, Kind: findings.KindVulnerability, Key: "CVE-2023-23397", Title: "Outlook elevation of privilege",
			Severity: findings.SeverityCritical, SeenAt: f.now, Evidence: findings.VulnerabilityEvidence{CVE: "CVE-2023-23397", CVSS: 9.8, Exploited: true}})
		f.record(t, findings.Observation{HostID: f.hostA, Kind: findings.KindMissingUpdate, Key: "KB5034441", Title: "KB5034441",
			Severity: findings.SeverityMedium, SeenAt: f.now})
		onB, _ := f.record(t, malware(f.hostB, "/tmp/b", f.now))
		if _, err := f.svc.Update(f.officerB, onB, findings.Update{Status: str(findings.StatusInProgress)}); err != nil {
			t.Fatal(err)
		}

		count := func(ctx context.Context, flt findings.Filter) int {
			t.Helper()
			list, _, err := f.svc.List(ctx, flt)
			if err != nil {
				t.Fatalf("%+v: %v", flt, err)
			}
			return len(list)
		}
		for _, c := range []struct {
			name string
			ctx  context.Context
			flt  findings.Filter
			want int
		}{
			{"officer A sees A", f.officerA, findings.Filter{}, 3},
			{"officer B sees B", f.officerB, findings.Filter{}, 1},
			{"the SOC sees all", f.analyst, findings.Filter{}, 4},
			{"by kind", f.analyst, findings.Filter{Kinds: []string{"malware"}}, 2},
			{"by kinds, comma list", f.analyst, findings.Filter{Kinds: []string{"vulnerability,missing_update"}}, 2},
			{"by status", f.analyst, findings.Filter{Statuses: []string{"in_progress"}}, 1},
			{"active", f.analyst, findings.Filter{Statuses: []string{"active"}}, 4},
			{"by severity", f.analyst, findings.Filter{Severities: []string{"critical"}}, 1},
			{"by unit", f.analyst, findings.Filter{Unit: "B"}, 1},
			{"by host", f.analyst, findings.Filter{HostID: f.hostA}, 3},
			{"overdue", f.analyst, findings.Filter{Overdue: true}, 1},
		} {
			if got := count(c.ctx, c.flt); got != c.want {
				t.Errorf("%s: %d findings, want %d", c.name, got, c.want)
			}
		}
		list, _, _ := f.svc.List(f.analyst, findings.Filter{Overdue: true})
		if len(list) != 1 || list[0].ID != overdue || !list[0].Overdue {
			t.Errorf("overdue list: %+v", list)
		}
		// Out of scope answers as absent.
		if _, _, err := f.svc.List(f.officerA, findings.Filter{Unit: "B"}); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("officer A filters on B: %v", err)
		}
		if _, err := f.svc.Get(f.officerA, onB); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("officer A reads B's finding: %v", err)
		}
		if _, _, err := f.svc.List(f.analyst, findings.Filter{Statuses: []string{"closed"}}); errs.Code(err) != errs.EINVALID {
			t.Errorf("unknown status: %v", err)
		}
		// Paging: one at a time reaches all four, with the true total.
		var seen int
		for off := 0; off < 10; off++ {
			page, total, err := f.svc.List(f.analyst, findings.Filter{Limit: 1, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if total != 4 {
				t.Fatalf("total %d, want 4", total)
			}
			seen += len(page)
		}
		// Sorted by severity, most severe first; by due date, soonest first.
		bySev, _, _ := f.svc.List(f.analyst, findings.Filter{Sort: "severity", Desc: true})
		if len(bySev) != 4 || bySev[0].Severity != findings.SeverityCritical || bySev[3].Severity != findings.SeverityMedium {
			t.Errorf("by severity: %v", sevs(bySev))
		}
		byDue, _, _ := f.svc.List(f.analyst, findings.Filter{Sort: "due"})
		if len(byDue) != 4 || byDue[0].ID != overdue {
			t.Errorf("by due date, first is %d, want the overdue %d", byDue[0].ID, overdue)
		}
		if _, _, err := f.svc.List(f.analyst, findings.Filter{Sort: "evidence"}); errs.Code(err) != errs.EINVALID {
			t.Errorf("unknown sort: %v", err)
		}
		if seen != 4 {
			t.Errorf("paged through %d findings, want 4", seen)
		}
	})
}

func TestUpdateRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id, _ := f.record(t, malware(f.hostA, "/tmp/a", f.now))
		cases := []struct {
			name  string
			ctx   context.Context
			in    findings.Update
			code  string
			field string
		}{
			{"closing needs a note", f.officerA, findings.Update{Status: str(findings.StatusResolved)}, errs.EINVALID, "note"},
			{"unknown status", f.officerA, findings.Update{Status: str("done")}, errs.EINVALID, "status"},
			{"nothing to change", f.officerA, findings.Update{}, errs.EINVALID, ""},
			{"bad due date", f.officerA, findings.Update{Due: str("3 ngày")}, errs.EINVALID, "due"},
			{"owner from another province", f.officerA, findings.Update{Owner: str("officer-b@test.vigil")}, errs.EINVALID, "owner"},
			{"unknown owner, same answer", f.officerA, findings.Update{Owner: str("nobody@test.vigil")}, errs.EINVALID, "owner"},
			{"another province's officer", f.officerB, findings.Update{Status: str(findings.StatusInProgress)}, errs.ENOTFOUND, ""},
			{"the SOC reads but does not change", f.analyst, findings.Update{Status: str(findings.StatusInProgress)}, errs.EFORBIDDEN, ""},
		}
		for _, c := range cases {
			_, err := f.svc.Update(c.ctx, id, c.in)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != c.code || e.Field != c.field {
				t.Errorf("%s: got %v, want %s on %q", c.name, err, c.code, c.field)
			}
		}
		// The analyst can own a province's finding (the SOC helps); so can
		// the province's officer. The due date is a day in Vietnam.
		got, err := f.svc.Update(f.officerA, id, findings.Update{Owner: str("Analyst@test.vigil"), Due: str("31/01/2027"), Status: str(findings.StatusInProgress)})
		if err != nil {
			t.Fatal(err)
		}
		wantDue := time.Date(2027, 1, 31, 23, 59, 59, 999999000, time.FixedZone("ICT", 7*3600))
		if got.Owner != "analyst@test.vigil" || !got.DueAt.Equal(wantDue) || got.Status != findings.StatusInProgress || !got.StatusSince.Equal(f.now) {
			t.Fatalf("after update: owner %q due %v status %s since %v", got.Owner, got.DueAt, got.Status, got.StatusSince)
		}
		if got, err = f.svc.Update(f.officerA, id, findings.Update{Due: str("2027-02-05")}); err != nil || got.DueAt.In(time.UTC).Day() != 5 {
			t.Fatalf("ISO due date: %v %v", got, err)
		}
		recs, _, err := audit.List(f.sys, db, audit.Filter{Action: "finding.update"})
		if err != nil || len(recs) != 2 {
			t.Fatalf("audit: %d records, %v", len(recs), err)
		}
		// Clearing the owner and the due date.
		if got, err = f.svc.Update(f.officerA, id, findings.Update{Owner: str(""), Due: str("")}); err != nil || got.Owner != "" || !got.DueAt.IsZero() {
			t.Fatalf("cleared: %+v %v", got, err)
		}
	})
}

// TestMigrationMovesMalwareFindings builds a database at schema version 2
// with the malware review's own table, migrates it, and checks each old
// finding became a malware finding with its evidence and status.
func TestMigrationMovesMalwareFindings(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := storetest.OpenAt(t, engine, 2)
			ctx := context.Background()
			sys := auth.WithPrincipal(ctx, auth.System)
			o := &org.Service{DB: db}
			if _, err := o.EnsureRoot(sys); err != nil {
				t.Fatal(err)
			}
			if _, err := o.CreateUnit(sys, org.UnitInput{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
				t.Fatal(err)
			}
			host := addHost(t, db, "A", "pc-a")
			found := time.Date(2027, 1, 10, 8, 0, 0, 0, time.UTC)
			for _, row := range []struct{ kind, path, process, remote, status, note string }{
				{"file", `C:\Users\Public\"quoted"\update.exe`, "", "", "removed", "xoá tệp"},
				{"connection", "", "rundll32.exe", "203.0.113.45:443", "open", ""},
			} {
				if _, err := db.Exec(ctx, `INSERT INTO host_findings (host_id, task_id, kind, indicator_type, indicator, comment, path, sha256, process, pid, remote, domain, found_at, status, note, updated_by, updated_at)
					VALUES (?, 'task1', ?, 'sha256', 'abc', 'Danh sách cảnh báo 01/2027', ?, 'abc', ?, 42, ?, '', ?, ?, ?, 'officer@x', ?)`,
					host, row.kind, row.path, row.process, row.remote, store.Micros(found), row.status, row.note, store.Micros(found)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			svc := &findings.Service{DB: db}
			list, _, err := svc.List(sys, findings.Filter{})
			if err != nil || len(list) != 2 {
				t.Fatalf("migrated findings: %d, %v", len(list), err)
			}
			conn, file := list[0], list[1]
			var ev findings.MalwareEvidence
			if err := json.Unmarshal(file.Evidence, &ev); err != nil || ev.Path != `C:\Users\Public\"quoted"\update.exe` || ev.TaskID != "task1" || ev.PID != 42 {
				t.Fatalf("file evidence %s: %v", file.Evidence, err)
			}
			if file.Kind != findings.KindMalware || file.Status != findings.StatusResolved || file.Note != "removed: xoá tệp" || file.Severity != findings.SeverityHigh ||
				file.Title != "Danh sách cảnh báo 01/2027" || !file.FirstSeen.Equal(found) || !file.DueAt.Equal(found.Add(7*24*time.Hour)) {
				t.Fatalf("file finding: %+v", file)
			}
			if conn.Status != findings.StatusOpen || conn.Severity != findings.SeverityCritical || conn.Source != "scan task task1" {
				t.Fatalf("connection finding: %+v", conn)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sevs(list []*findings.Finding) []string {
	var out []string
	for _, f := range list {
		out = append(out, f.Severity)
	}
	return out
}
