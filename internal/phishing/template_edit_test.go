package phishing_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// TestTemplateEditAndDelete: a unit's officers change and delete their
// templates, not other units'; a built-in one is changed by the IT Center
// only and never deleted; a template a drill used is kept; on both
// engines, audited.
func TestTemplateEditAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(sys)
		if err != nil {
			t.Fatal(err)
		}
		units := map[string]*org.Unit{}
		for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: root.Code}} {
			if units[u.Code], err = o.CreateUnit(sys, u); err != nil {
				t.Fatal(err)
			}
		}
		as := func(role auth.Role, u *org.Unit) context.Context {
			return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 9, Email: "x@" + u.Code, Role: role, UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
		}
		officerA, officerB, viewerA, it := as(auth.RoleOfficer, units["A"]), as(auth.RoleOfficer, units["B"]), as(auth.RoleViewer, units["A"]), as(auth.RoleAdmin, root)
		tr := &training.Service{DB: db}
		svc := &phishing.Service{DB: db, Training: tr}
		in := phishing.TemplateInput{Name: "Lương tháng 13", Subject: "Bảng lương {unit}", Body: "Chào {name}, xem tại {link}"}
		tpl, err := svc.CreateTemplate(officerA, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Subject = "Bảng lương tháng 13 — {unit}"
		if _, err := svc.UpdateTemplate(officerB, tpl.ID, in); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("B's officer edits A's template: %v", err)
		}
		if _, err := svc.UpdateTemplate(viewerA, tpl.ID, in); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("A's viewer edits: %v", err)
		}
		bad := in
		bad.Body = "Chào {nmae}, {link}"
		if _, err := svc.UpdateTemplate(officerA, tpl.ID, bad); errs.Code(err) != errs.EINVALID || !strings.Contains(err.Error(), "nmae") {
			t.Errorf("a broken placeholder: %v", err)
		}
		if got, err := svc.UpdateTemplate(officerA, tpl.ID, in); err != nil || got.Subject != in.Subject {
			t.Fatalf("A's officer edits: %v %+v", err, got)
		}
		list, err := svc.TemplateUses(officerA)
		if err != nil || len(list) != 3 {
			t.Fatalf("templates: %v %d", err, len(list))
		}
		var builtin int64
		for _, u := range list {
			if u.Builtin {
				builtin = u.ID
				if u.Editable {
					t.Error("A's officer may edit a built-in template")
				}
			} else if !u.Editable || u.Drills != 0 {
				t.Errorf("A's own template: %+v", u)
			}
		}
		if _, err := svc.UpdateTemplate(officerA, builtin, in); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("A's officer edits a built-in template: %v", err)
		}
		if _, err := svc.UpdateTemplate(it, builtin, in); err != nil {
			t.Errorf("the IT Center edits a built-in template: %v", err)
		}
		if err := svc.DeleteTemplate(it, builtin); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("a built-in template deleted: %v", err)
		}

		// A drill uses the template: it stays.
		rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\nAn,an@a.vn,,\n"))
		if _, err := tr.ImportEmployees(officerA, "A", rows); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateCampaign(officerA, phishing.CampaignInput{Template: tpl.ID, Unit: "A", WindowMinutes: 10}); err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteTemplate(officerA, tpl.ID); err != phishing.ErrTemplateUsed {
			t.Fatalf("a used template deleted: %v", err)
		}
		spare, err := svc.CreateTemplate(officerA, phishing.TemplateInput{Name: "Thừa", Subject: "x", Body: "{link}"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteTemplate(officerB, spare.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("B's officer deletes A's template: %v", err)
		}
		if err := svc.DeleteTemplate(officerA, spare.ID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if _, err := svc.Template(officerA, spare.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("deleted template still there: %v", err)
		}
		var audited int
		db.QueryRow(sys, `SELECT COUNT(*) FROM audit_log WHERE action IN ('phishing.edit_template', 'phishing.delete_template')`).Scan(&audited)
		if audited != 3 {
			t.Errorf("%d template changes audited, want 3", audited)
		}
	})
}
