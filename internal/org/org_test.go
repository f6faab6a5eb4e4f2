package org_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

const password = "long-enough-password-1"

// tree is HQ with two provinces, P (with district P1) and Q.
type tree struct {
	s     *org.Service
	sys   context.Context
	units map[string]*org.Unit
}

func newTree(t *testing.T, db *store.DB) *tree {
	t.Helper()
	s := &org.Service{DB: db}
	sys := auth.WithPrincipal(context.Background(), auth.System)
	root, err := s.EnsureRoot(sys)
	if err != nil {
		t.Fatal(err)
	}
	tr := &tree{s: s, sys: sys, units: map[string]*org.Unit{root.Code: root}}
	for _, in := range []org.UnitInput{
		{Code: "P", Name: "Tỉnh Phú Yên", Kind: org.KindProvince, Parent: root.Code},
		{Code: "P1", Name: "Huyện Sơn Hòa", Kind: org.KindDistrict, Parent: "P"},
		{Code: "Q", Name: "Tỉnh Quảng Trị", Kind: org.KindProvince, Parent: root.Code},
	} {
		u, err := s.CreateUnit(sys, in)
		if err != nil {
			t.Fatal(err)
		}
		tr.units[u.Code] = u
	}
	return tr
}

// as is a context acting as a user of role in unit code (user id 0 unless
// given: no real account behind it).
func (tr *tree) as(role auth.Role, code string, userID int64) context.Context {
	u := tr.units[code]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: userID, Email: string(role) + "@" + code, Role: role,
		UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
}

func codeOf(err error) string { return errs.Code(err) }

func codes(us []*org.Unit) string {
	var c []string
	for _, u := range us {
		c = append(c, u.Code)
	}
	return strings.Join(c, ",")
}

// TestUnitTreeAndScope: paths follow the tree, an officer sees and changes
// only its subtree, and a unit outside it answers "not found" exactly like
// a unit that does not exist.
func TestUnitTreeAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := newTree(t, db)
		root, p, p1, q := tr.units[org.RootCode], tr.units["P"], tr.units["P1"], tr.units["Q"]
		if !strings.HasPrefix(p.Path, root.Path) || !strings.HasPrefix(p1.Path, p.Path) || strings.HasPrefix(q.Path, p.Path) || p1.Depth != 2 || p1.Parent != "P" {
			t.Fatalf("paths: root %s P %s P1 %s (depth %d) Q %s", root.Path, p.Path, p1.Path, p1.Depth, q.Path)
		}

		officerP := tr.as(auth.RoleOfficer, "P", 0)
		all, _, err := tr.s.ListUnits(officerP, org.UnitFilter{})
		if err != nil || codes(all) != "P,P1" {
			t.Fatalf("officer of P lists %q, %v; want P,P1", codes(all), err)
		}
		if _, err := tr.s.GetUnit(officerP, "Q"); codeOf(err) != errs.ENOTFOUND {
			t.Errorf("officer of P reads Q: %v, want not found", err)
		}
		_, errMissing := tr.s.GetUnit(officerP, "NOPE")
		_, errHidden := tr.s.GetUnit(officerP, "Q")
		if errMissing == nil || errHidden == nil || strings.Replace(errHidden.Error(), `"Q"`, `"NOPE"`, 1) != errMissing.Error() {
			t.Errorf("hidden and missing units answer differently: %v / %v", errHidden, errMissing)
		}
		// Creating: under its subtree yes, elsewhere "does not exist", at
		// the top only an administrator.
		if _, err := tr.s.CreateUnit(officerP, org.UnitInput{Code: "P2", Name: "Huyện Đồng Xuân", Kind: org.KindDistrict, Parent: "P"}); err != nil {
			t.Errorf("officer of P adds P2: %v", err)
		}
		if _, err := tr.s.CreateUnit(officerP, org.UnitInput{Code: "Q1", Name: "x", Kind: org.KindDistrict, Parent: "Q"}); codeOf(err) != errs.EINVALID {
			t.Errorf("officer of P adds under Q: %v, want invalid parent", err)
		}
		if _, err := tr.s.CreateUnit(officerP, org.UnitInput{Code: "TOP", Name: "x", Kind: org.KindProvince}); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("officer makes a top-level unit: %v, want forbidden", err)
		}
		if _, err := tr.s.CreateUnit(tr.sys, org.UnitInput{Code: "P1", Name: "x", Kind: org.KindDistrict, Parent: "Q"}); codeOf(err) != errs.ECONFLICT {
			t.Errorf("duplicate code: %v, want conflict", err)
		}
		// Viewers change nothing.
		name := "Tên mới"
		if _, err := tr.s.UpdateUnit(tr.as(auth.RoleViewer, "P", 0), "P1", org.UnitPatch{Name: &name}); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("viewer renames P1: %v, want forbidden", err)
		}
		if u, err := tr.s.UpdateUnit(officerP, "P1", org.UnitPatch{Name: &name}); err != nil || u.Name != name {
			t.Errorf("officer renames P1: %+v %v", u, err)
		}
		// Deleting: not one's own unit, not a unit with children, not out
		// of scope; an empty unit below goes.
		if err := tr.s.DeleteUnit(officerP, "P"); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("officer deletes its own unit: %v, want forbidden", err)
		}
		if err := tr.s.DeleteUnit(tr.sys, "P"); codeOf(err) != errs.ECONFLICT {
			t.Errorf("delete P with children: %v, want conflict", err)
		}
		if err := tr.s.DeleteUnit(officerP, "Q"); codeOf(err) != errs.ENOTFOUND {
			t.Errorf("officer of P deletes Q: %v, want not found", err)
		}
		if err := tr.s.DeleteUnit(officerP, "P2"); err != nil {
			t.Errorf("officer deletes empty P2: %v", err)
		}
		// Search takes _ literally (LIKE would read it as any character).
		if _, err := tr.s.CreateUnit(tr.sys, org.UnitInput{Code: "Q_9", Name: "Phòng A", Kind: org.KindDistrict, Parent: "Q"}); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.s.CreateUnit(tr.sys, org.UnitInput{Code: "QX9", Name: "Phòng B", Kind: org.KindDistrict, Parent: "Q"}); err != nil {
			t.Fatal(err)
		}
		if got, _, err := tr.s.ListUnits(tr.sys, org.UnitFilter{Query: "q_9"}); err != nil || codes(got) != "Q_9" {
			t.Errorf("search q_9: %q %v, want Q_9 only", codes(got), err)
		}
		if got, _, err := tr.s.ListUnits(tr.sys, org.UnitFilter{Query: "phong"}); err != nil || codes(got) != "Q_9,QX9" {
			t.Errorf("accent-insensitive search phong: %q %v", codes(got), err)
		}
		if got, _, err := tr.s.ListUnits(tr.sys, org.UnitFilter{Under: "P"}); err != nil || codes(got) != "P,P1" {
			t.Errorf("under P: %q %v", codes(got), err)
		}
	})
}

// TestUnitImportRefusesMove: units are never moved; an import that puts
// an existing unit under another parent is refused with its line.
func TestUnitImportRefusesMove(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := newTree(t, db)
		rows, err := org.ParseUnitsCSV("move.csv", strings.NewReader("code,name,kind,parent\nP1,Huyện Sơn Hòa,district,Q\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.s.ImportUnits(tr.sys, "move.csv", rows)
		if err == nil || !strings.Contains(err.Error(), "move.csv") || !strings.Contains(err.Error(), "moving units is not supported") {
			t.Fatalf("import moving P1 under Q: %v", err)
		}
		if u, err := tr.s.GetUnit(tr.sys, "P1"); err != nil || u.Parent != "P" {
			t.Fatalf("P1 after the refused move: %+v %v", u, err)
		}
	})
}

// TestUserRoleRules: who may create, see and change which users.
func TestUserRoleRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := newTree(t, db)
		officerP := tr.as(auth.RoleOfficer, "P", 0)
		mk := func(ctx context.Context, email string, role auth.Role, unit string) (*org.User, error) {
			return tr.s.CreateUser(ctx, org.UserInput{Email: email, Name: "Nguyễn Văn " + unit, Password: password, Role: string(role), Unit: unit})
		}
		viewer, err := mk(officerP, "nguyen_van@p.vigil", auth.RoleViewer, "P1")
		if err != nil {
			t.Fatalf("officer of P creates a viewer in P1: %v", err)
		}
		if _, err := mk(officerP, "x@p.vigil", auth.RoleAdmin, "P"); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("officer creates an admin: %v, want forbidden", err)
		}
		if _, err := mk(officerP, "x@q.vigil", auth.RoleViewer, "Q"); codeOf(err) != errs.EINVALID {
			t.Errorf("officer of P creates a user in Q: %v, want invalid unit", err)
		}
		if _, err := mk(tr.as(auth.RoleViewer, "P", 0), "y@p.vigil", auth.RoleViewer, "P"); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("viewer creates a user: %v, want forbidden", err)
		}
		if _, err := mk(tr.sys, "NGUYEN_VAN@p.vigil", auth.RoleViewer, "P"); codeOf(err) != errs.ECONFLICT {
			t.Errorf("same e-mail in other case: %v, want conflict", err)
		}
		if _, err := mk(tr.sys, "bad", auth.RoleViewer, "P"); codeOf(err) != errs.EINVALID {
			t.Errorf("bad e-mail: %v, want invalid", err)
		}
		qUser, err := mk(tr.sys, "nguyenXvan@q.vigil", auth.RoleOfficer, "Q")
		if err != nil {
			t.Fatal(err)
		}
		// Seeing: in scope yes, outside "not found".
		if _, err := tr.s.GetUser(officerP, viewer.ID); err != nil {
			t.Errorf("officer of P reads its viewer: %v", err)
		}
		if _, err := tr.s.GetUser(officerP, qUser.ID); codeOf(err) != errs.ENOTFOUND {
			t.Errorf("officer of P reads Q's officer: %v, want not found", err)
		}
		// The search takes _ literally.
		if got, _, err := tr.s.ListUsers(tr.sys, org.UserFilter{Query: "nguyen_van"}); err != nil || len(got) != 1 || got[0].ID != viewer.ID {
			t.Errorf("search nguyen_van: %d users, %v; want only %s", len(got), err, viewer.Email)
		}
		if got, _, err := tr.s.ListUsers(officerP, org.UserFilter{}); err != nil || len(got) != 1 {
			t.Errorf("officer of P lists %d users, %v; want its one", len(got), err)
		}
		// Changing: no promotion beyond one's reach, no moving a user out
		// of scope, never disabling oneself.
		admin := string(auth.RoleAdmin)
		if _, err := tr.s.UpdateUser(officerP, viewer.ID, org.UserPatch{Role: &admin}); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("officer promotes to admin: %v, want forbidden", err)
		}
		q := "Q"
		if _, err := tr.s.UpdateUser(officerP, viewer.ID, org.UserPatch{Unit: &q}); codeOf(err) != errs.EINVALID {
			t.Errorf("officer moves its viewer to Q: %v, want invalid unit", err)
		}
		self, err := mk(tr.sys, "officer@p.vigil", auth.RoleOfficer, "P")
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		if _, err := tr.s.UpdateUser(tr.as(auth.RoleOfficer, "P", self.ID), self.ID, org.UserPatch{Disabled: &yes}); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("officer disables itself: %v, want forbidden", err)
		}
		if u, err := tr.s.UpdateUser(officerP, viewer.ID, org.UserPatch{Disabled: &yes}); err != nil || !u.Disabled {
			t.Errorf("officer disables its viewer: %+v %v", u, err)
		}
		if n, err := tr.s.CountUsers(officerP); err != nil || n != 2 {
			t.Errorf("officer of P counts %d users, %v; want 2", n, err)
		}
	})
}

// TestContacts: a unit's contacts are listed in order, written only by
// those who may write the unit, and hidden outside the caller's scope.
func TestContacts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := newTree(t, db)
		officerP := tr.as(auth.RoleOfficer, "P", 0)
		c1, err := tr.s.AddContact(officerP, "P1", org.ContactInput{Name: "Trần Thị Bình", Position: "Kế toán", Phone: "0905 123 456", Email: "binh@p.vigil"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.s.AddContact(officerP, "P1", org.ContactInput{Name: "Lê Văn Cường", Phone: "0236 3822 111"}); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.s.AddContact(officerP, "P1", org.ContactInput{}); codeOf(err) != errs.EINVALID {
			t.Errorf("contact without a name: %v, want invalid", err)
		}
		if _, err := tr.s.AddContact(tr.as(auth.RoleViewer, "P", 0), "P1", org.ContactInput{Name: "x"}); codeOf(err) != errs.EFORBIDDEN {
			t.Errorf("viewer adds a contact: %v, want forbidden", err)
		}
		if _, err := tr.s.AddContact(officerP, "Q", org.ContactInput{Name: "x"}); codeOf(err) != errs.ENOTFOUND {
			t.Errorf("officer of P adds to Q: %v, want not found", err)
		}
		cs, err := tr.s.ListContacts(tr.as(auth.RoleViewer, "P", 0), "P1")
		if err != nil || len(cs) != 2 || cs[0].ID != c1.ID || cs[0].Phone != "0905 123 456" {
			t.Fatalf("viewer lists P1's contacts: %+v %v", cs, err)
		}
		if err := tr.s.DeleteContact(tr.as(auth.RoleOfficer, "Q", 0), c1.ID); codeOf(err) != errs.ENOTFOUND {
			t.Errorf("officer of Q deletes P1's contact: %v, want not found", err)
		}
		if err := tr.s.DeleteContact(officerP, c1.ID); err != nil {
			t.Errorf("officer of P deletes its contact: %v", err)
		}
		if err := tr.s.DeleteContact(officerP, c1.ID); codeOf(err) != errs.ENOTFOUND {
			t.Errorf("deleted twice: %v, want not found", err)
		}
	})
}

// TestDatabaseFailureIsNotNotFound: when the database fails, org says so;
// it does not answer "not found" as for a missing or hidden object.
func TestDatabaseFailureIsNotNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tr := newTree(t, db)
		u, err := tr.s.CreateUser(tr.sys, org.UserInput{Email: "a@p.vigil", Name: "A", Password: password, Role: "viewer", Unit: "P"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(context.Background(), `ALTER TABLE users RENAME TO users_gone`); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.s.GetUser(tr.sys, u.ID); err == nil || codeOf(err) != errs.EINTERNAL {
			t.Errorf("GetUser with the users table gone: %v (code %s), want an internal error", err, codeOf(err))
		}
		if _, err := db.Exec(context.Background(), `ALTER TABLE units RENAME TO units_gone`); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.s.GetUnit(tr.sys, "P"); err == nil || codeOf(err) != errs.EINTERNAL {
			t.Errorf("GetUnit with the units table gone: %v (code %s), want an internal error", err, codeOf(err))
		}
	})
}
