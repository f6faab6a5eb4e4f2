package training_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
	"vigil/internal/training/ldaptest"
)

const (
	baseDN  = "DC=bhxh,DC=gov,DC=vn"
	groupA  = "CN=ATTT-A,OU=Groups,DC=bhxh,DC=gov,DC=vn"
	groupA1 = "CN=ATTT-A1,OU=Groups,DC=bhxh,DC=gov,DC=vn"
	bindDN  = "CN=vigil-sync,OU=Service,DC=bhxh,DC=gov,DC=vn"
)

func person(cn, mail, title, dept string, groups ...string) ldaptest.Entry {
	attrs := map[string][]string{"objectClass": {"top", "person", "user"}, "cn": {cn}, "displayName": {cn}, "title": {title}, "department": {dept}, "memberOf": groups}
	if mail != "" {
		attrs["mail"] = []string{mail}
	}
	return ldaptest.Entry{DN: "CN=" + cn + ",OU=Users," + baseDN, Attrs: attrs}
}

// directoryWorld makes units A, A1 (under A) and B, the IT Center's
// context (root admin) and A's officer's.
func directoryWorld(t *testing.T, db *store.DB) (svc *training.Service, it, officerA context.Context) {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	root, err := o.EnsureRoot(sys)
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]*org.Unit{}
	for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code},
		{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: root.Code}} {
		if units[u.Code], err = o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	it = auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: "itc@bhxh.gov.vn", Role: auth.RoleAdmin, UnitID: root.ID, UnitCode: root.Code, UnitPath: root.Path, Via: "token"})
	officerA = auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 2, Email: "o@a", Role: auth.RoleOfficer, UnitID: units["A"].ID, UnitCode: "A", UnitPath: units["A"].Path, Via: "token"})
	return &training.Service{DB: db}, it, officerA
}

func peopleOf(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT p.email, u.code, p.name, p.department, p.source, p.disabled FROM training_people p JOIN units u ON u.id = p.unit_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var email, unit, name, dept, source string
		var disabled bool
		rows.Scan(&email, &unit, &name, &dept, &source, &disabled)
		state := "active"
		if disabled {
			state = "disabled"
		}
		out[email] = strings.Join([]string{unit, name, dept, source, state}, "|")
	}
	return out
}

// TestDirectorySyncFromLDAP: employees from the groups of a real LDAP
// server (in the test process), on both engines — added, then moved,
// renamed and disabled as the directory changes; entries that cannot be
// taken are named by DN; a CSV import is left alone; an unreachable
// server or a refused bind changes nothing and says why.
func TestDirectorySyncFromLDAP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, it, officerA := directoryWorld(t, db)
		dir := ldaptest.NewServer(t, baseDN, bindDN, "s3cret!")
		dir.Set(
			person("Nguyễn Văn An", "an@bhxh.gov.vn", "Chuyên viên", "Phòng Thu", groupA),
			person("Trần Thị Bình", "binh@bhxh.gov.vn", "Kế toán", "Văn phòng", groupA1),
			person("Lê Văn Cường", "", "Chuyên viên", "Phòng Thu", groupA1),                              // no mail
			person("Phạm Thu Dung", "dung@bhxh.gov.vn", "Trưởng phòng", "Phòng Chế độ", groupA1, groupA), // two units
			person("Hoàng Văn Em", "em@bhxh.gov.vn", "", "", "CN=Other,OU=Groups,DC=bhxh,DC=gov,DC=vn"),  // not mapped
		)
		// Someone imported from CSV before, in B.
		rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\nĐỗ Thị Giang,giang@b.vn,,\n"))
		if _, err := svc.ImportEmployees(it, "B", rows); err != nil {
			t.Fatal(err)
		}
		in := training.Directory{LDAPURL: dir.URL, BindDN: bindDN, BindPassword: "s3cret!", BaseDN: baseDN, AttrName: "displayName",
			Groups: []training.GroupMapping{{Group: groupA1, Unit: "A1"}, {Group: groupA, Unit: "A"}}}

		// Only the IT Center configures it; bad values name the field.
		if _, err := svc.SaveDirectory(officerA, in); errs.Code(err) != errs.EFORBIDDEN {
			t.Fatalf("A's officer saves the directory: %v", err)
		}
		for field, bad := range map[string]training.Directory{
			"ldap_url":    {LDAPURL: "http://dc", BaseDN: baseDN},
			"base_dn":     {LDAPURL: dir.URL},
			"user_filter": {LDAPURL: dir.URL, BaseDN: baseDN, UserFilter: "objectClass=person"},
			"sync_hours":  {LDAPURL: dir.URL, BaseDN: baseDN, SyncHours: -1},
			"groups":      {LDAPURL: dir.URL, BaseDN: baseDN, Groups: []training.GroupMapping{{Group: groupA, Unit: "NOPE"}}},
		} {
			_, err := svc.SaveDirectory(it, bad)
			if e, ok := errs.As(err); !ok || e.Code != errs.EINVALID || e.Field != field {
				t.Errorf("bad %s: %v", field, err)
			}
		}
		if _, err := training.ParseGroupMappings("CN=x = A\nno equals sign\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("a bad mapping line: %v", err)
		}
		saved, err := svc.SaveDirectory(it, in)
		if err != nil {
			t.Fatal(err)
		}
		if !saved.HasPassword || len(saved.Groups) != 2 {
			t.Fatalf("saved: %+v", saved)
		}
		if _, err := svc.SyncLDAP(officerA); errs.Code(err) != errs.EFORBIDDEN {
			t.Fatalf("A's officer syncs: %v", err)
		}

		run, err := svc.SyncLDAP(it)
		if err != nil {
			t.Fatal(err)
		}
		if run.Failure != nil || run.Entries != 4 || run.Added != 3 || run.Updated != 0 || run.Disabled != 0 {
			t.Fatalf("first sync: %+v", run)
		}
		problems := map[string]string{}
		for _, p := range run.Problems {
			problems[p.Entry] = p.Code + " " + p.Detail
		}
		if got := problems["CN=Lê Văn Cường,OU=Users,"+baseDN]; got != "no_email mail" {
			t.Errorf("the entry without mail: %q (%+v)", got, run.Problems)
		}
		if got := problems["CN=Phạm Thu Dung,OU=Users,"+baseDN]; got != "two_units A1, A → A1" {
			t.Errorf("the entry in two units' groups: %q", got)
		}
		want := map[string]string{
			"an@bhxh.gov.vn":   "A|Nguyễn Văn An|Phòng Thu|ldap|active",
			"binh@bhxh.gov.vn": "A1|Trần Thị Bình|Văn phòng|ldap|active",
			"dung@bhxh.gov.vn": "A1|Phạm Thu Dung|Phòng Chế độ|ldap|active",
			"giang@b.vn":       "B|Đỗ Thị Giang||csv|active",
		}
		if got := peopleOf(t, db); !equal(got, want) {
			t.Fatalf("after the first sync:\n got %v\nwant %v", got, want)
		}

		// The same directory again changes nothing.
		if run, err = svc.SyncLDAP(it); err != nil || run.Added+run.Updated+run.Disabled != 0 {
			t.Fatalf("second sync: %v %+v", err, run)
		}

		// Bình moves to A and changes department; An leaves the group.
		dir.Set(
			person("Trần Thị Bình", "binh@bhxh.gov.vn", "Kế toán", "Phòng Thu", groupA),
			person("Lê Văn Cường", "cuong@bhxh.gov.vn", "Chuyên viên", "Phòng Thu", groupA1),
			person("Phạm Thu Dung", "dung@bhxh.gov.vn", "Trưởng phòng", "Phòng Chế độ", groupA1),
		)
		if run, err = svc.SyncLDAP(it); err != nil || run.Added != 1 || run.Updated != 1 || run.Disabled != 1 || len(run.Problems) != 0 {
			t.Fatalf("third sync: %v %+v", err, run)
		}
		want["an@bhxh.gov.vn"] = "A|Nguyễn Văn An|Phòng Thu|ldap|disabled"
		want["binh@bhxh.gov.vn"] = "A|Trần Thị Bình|Phòng Thu|ldap|active"
		want["cuong@bhxh.gov.vn"] = "A1|Lê Văn Cường|Phòng Thu|ldap|active"
		if got := peopleOf(t, db); !equal(got, want) {
			t.Fatalf("after the third sync:\n got %v\nwant %v", got, want)
		}

		// A directory that answers nobody disables nobody.
		dir.Set()
		if run, err = svc.SyncLDAP(it); err != nil || run.Disabled != 0 || len(run.Problems) != 1 || run.Problems[0].Code != training.ProblemNoneListed {
			t.Fatalf("empty directory: %v %+v", err, run)
		}

		// A wrong password, a base DN that is not there, a server that is
		// down: the run says why and nothing changes.
		in.BindPassword = "wrong"
		if _, err := svc.SaveDirectory(it, in); err != nil {
			t.Fatal(err)
		}
		dir.Set(person("Trần Thị Bình", "binh@bhxh.gov.vn", "Kế toán", "Phòng Thu", groupA))
		if run, err = svc.SyncLDAP(it); err != nil || run.Failure == nil || run.Failure.Code != training.ProblemBind || run.Disabled != 0 {
			t.Fatalf("refused bind: %v %+v", err, run)
		}
		in.BindPassword = "s3cret!"
		in.BaseDN = "DC=other,DC=vn"
		if _, err := svc.SaveDirectory(it, in); err != nil {
			t.Fatal(err)
		}
		if run, err = svc.SyncLDAP(it); err != nil || run.Failure == nil || run.Failure.Code != training.ProblemBaseDN {
			t.Fatalf("missing base DN: %v %+v", err, run)
		}
		in.BaseDN = baseDN
		in.LDAPURL = "ldap://127.0.0.1:1"
		if _, err := svc.SaveDirectory(it, in); err != nil {
			t.Fatal(err)
		}
		if run, err = svc.SyncLDAP(it); err != nil || run.Failure == nil || run.Failure.Code != training.ProblemUnreachable {
			t.Fatalf("server down: %v %+v", err, run)
		}
		if got := peopleOf(t, db); !equal(got, want) {
			t.Fatalf("failed syncs changed people:\n got %v\nwant %v", got, want)
		}

		// Every run is listed, newest first, with what it did.
		runs, total, err := svc.SyncRuns(it, "ldap", "", false, 0, 50)
		if err != nil || total != 7 || len(runs) != 7 || runs[0].Failure == nil || runs[6].Added != 3 {
			t.Fatalf("runs: %v %d %+v", err, total, runs)
		}
		if len(runs[4].Changes) != 3 || runs[4].Changes[0].Kind == "" {
			t.Errorf("run changes: %+v", runs[4].Changes)
		}
		if _, _, err := svc.SyncRuns(officerA, "", "", false, 0, 50); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("A's officer lists the syncs: %v", err)
		}
		var audited int
		db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'training.directory_sync'`).Scan(&audited)
		if audited != 7 {
			t.Errorf("%d syncs audited, want 7", audited)
		}
	})
}

// TestDirectorySyncDue: the job syncs every sync_hours, once per interval,
// and never when the interval is 0.
func TestDirectorySyncDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, it, _ := directoryWorld(t, db)
		now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
		svc.Now = func() time.Time { return now }
		dir := ldaptest.NewServer(t, baseDN, bindDN, "pw")
		dir.Set(person("Nguyễn Văn An", "an@bhxh.gov.vn", "", "", groupA))
		in := training.Directory{LDAPURL: dir.URL, BindDN: bindDN, BindPassword: "pw", BaseDN: baseDN, Groups: []training.GroupMapping{{Group: groupA, Unit: "A"}}}
		if _, err := svc.SaveDirectory(it, in); err != nil {
			t.Fatal(err)
		}
		if run, err := svc.SyncDue(context.Background()); err != nil || run != nil {
			t.Fatalf("interval 0: %v %+v", err, run)
		}
		in.SyncHours = 6
		if _, err := svc.SaveDirectory(it, in); err != nil {
			t.Fatal(err)
		}
		if run, err := svc.SyncDue(context.Background()); err != nil || run == nil || run.Added != 1 || run.StartedBy != "directory-sync job" {
			t.Fatalf("first due sync: %v %+v", err, run)
		}
		now = now.Add(5 * time.Hour)
		if run, err := svc.SyncDue(context.Background()); err != nil || run != nil {
			t.Fatalf("5 h later: %v %+v", err, run)
		}
		now = now.Add(time.Hour)
		if run, err := svc.SyncDue(context.Background()); err != nil || run == nil {
			t.Fatalf("6 h later: %v %+v", err, run)
		}
	})
}

// TestSSOSignInByGroups: an employee signing in by SSO is placed by the
// groups claim through the same mappings; unknown and ungrouped is
// refused; the LDAP sync's people are only signed in.
func TestSSOSignInByGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, it, _ := directoryWorld(t, db)
		if _, err := svc.SaveDirectory(it, training.Directory{Groups: []training.GroupMapping{{Group: "bhxh-a1", Unit: "A1"}, {Group: "bhxh-a", Unit: "A"}}}); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, _, err := svc.SSOSignIn(ctx, training.SSOIdentity{Subject: "s0", Email: "x@bhxh.gov.vn", Groups: []string{"staff"}}); err != training.ErrNotEmployee {
			t.Fatalf("no mapped group: %v", err)
		}
		cookie, l, err := svc.SSOSignIn(ctx, training.SSOIdentity{Subject: "s1", Email: "An@bhxh.gov.vn", Name: "Nguyễn Văn An", Groups: []string{"staff", "BHXH-A", "bhxh-a1"}})
		if err != nil || l.Unit != "A1" || cookie == "" {
			t.Fatalf("first SSO sign-in: %v %+v", err, l)
		}
		if got, _ := svc.LearnerSession(ctx, cookie); got == nil || got.Email != "an@bhxh.gov.vn" {
			t.Fatalf("session: %+v", got)
		}
		// Next time in A only: moved.
		if _, l, err = svc.SSOSignIn(ctx, training.SSOIdentity{Subject: "s1", Email: "an@bhxh.gov.vn", Name: "Nguyễn Văn An", Groups: []string{"bhxh-a"}}); err != nil || l.Unit != "A" {
			t.Fatalf("moved by groups: %v %+v", err, l)
		}
		// A CSV employee with no mapped group signs in as they are.
		rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\nĐỗ Thị Giang,giang@b.vn,,\n"))
		if _, err := svc.ImportEmployees(it, "B", rows); err != nil {
			t.Fatal(err)
		}
		if _, l, err = svc.SSOSignIn(ctx, training.SSOIdentity{Subject: "s2", Email: "giang@b.vn", Name: "Giang"}); err != nil || l.Unit != "B" || l.Name != "Đỗ Thị Giang" {
			t.Fatalf("CSV employee: %v %+v", err, l)
		}
		want := map[string]string{"an@bhxh.gov.vn": "A|Nguyễn Văn An||oidc|active", "giang@b.vn": "B|Đỗ Thị Giang||csv|active"}
		if got := peopleOf(t, db); !equal(got, want) {
			t.Fatalf("people:\n got %v\nwant %v", got, want)
		}
		var audited int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('training.sso_enrol', 'training.sign_in_sso')`).Scan(&audited)
		if audited != 5 {
			t.Errorf("%d SSO entries audited, want 5 (2 placements, 3 sign-ins)", audited)
		}
	})
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
