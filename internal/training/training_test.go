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
)

func TestParseEmployeesRefusesBadRows(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "the file is empty"},
		{"name,email\nA,a@b.vn\n", "line 1: the header must be"},
		{"name,mail,position,department\n", "line 1, column 2"},
		{"name,email,position,department\nAn,an@t.vn,,\nBình,,,\n", "line 3, column email: is empty"},
		{"name,email,position,department\nAn,an@t.vn,,\nBình,binh at t.vn,,\n", "line 3, column email"},
		{"name,email,position,department\nAn,an@t.vn,,\nBình,AN@t.vn,,\n", "line 3, column email: an@t.vn is already on line 2"},
		{"name,email,position,department\nAn,an@t.vn,,,extra\n", "line 2: 5 columns"},
		{"name,email,position,department\n\"An,an@t.vn,,\n", "the CSV is malformed"},
		{"name,email,position,department\n", "no employee"},
	} {
		_, err := training.ParseEmployees(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	rows, err := training.ParseEmployees(strings.NewReader("\xef\xbb\xbfname;email;position;department\r\nNguyễn Văn An;An@T.vn;Chuyên viên;Phòng Thu\r\n"))
	if err != nil || len(rows) != 1 || rows[0].Email != "an@t.vn" || rows[0].Department != "Phòng Thu" {
		t.Fatalf("semicolons and BOM: %v %+v", err, rows)
	}
}

func FuzzParseEmployees(f *testing.F) {
	f.Add("name,email,position,department\nAn,an@t.vn,Chuyên viên,Phòng Thu\n")
	f.Add("name;email;position;department\n\"x\";y;;\n")
	f.Fuzz(func(t *testing.T, s string) {
		rows, err := training.ParseEmployees(strings.NewReader(s))
		if err != nil {
			if errs.Code(err) != errs.EINVALID {
				t.Fatalf("error of code %q: %v", errs.Code(err), err)
			}
			return
		}
		for _, r := range rows {
			if r.Name == "" || r.Email == "" || r.Line < 2 {
				t.Fatalf("row %+v", r)
			}
		}
	})
}

func TestParseQuiz(t *testing.T) {
	qs, err := training.ParseQuiz("? Câu 1\n- sai\n+ đúng\n> vì\n? Câu 2\n+ a\n+ b\n- c\n")
	if err != nil || len(qs) != 2 || qs[0].Multi() || !qs[1].Multi() || qs[0].Why != "vì" {
		t.Fatalf("%v %+v", err, qs)
	}
	if s, _ := training.Grade(qs, map[int][]int{0: {1}, 1: {0, 1}}); s != 100 {
		t.Errorf("all right scored %d", s)
	}
	if s, _ := training.Grade(qs, map[int][]int{0: {1}, 1: {0}}); s != 50 {
		t.Errorf("half right scored %d", s)
	}
	for in, want := range map[string]string{
		"- a\n":                "line 1: a choice before any question",
		"? q\n- a\n- b\n":      "has no right choice",
		"? q\n+ a\n? r\n+ b\n": "needs at least two choices",
		"x\n":                  "line 1: start the line",
		"":                     "at least one question",
	} {
		if _, err := training.ParseQuiz(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func FuzzParseQuiz(f *testing.F) {
	f.Add("? Câu 1\n- sai\n+ đúng\n> vì\n")
	f.Fuzz(func(t *testing.T, s string) {
		qs, err := training.ParseQuiz(s)
		if err != nil {
			return
		}
		for _, q := range qs {
			if len(q.Choices) < 2 || len(q.Right) == 0 {
				t.Fatalf("accepted %+v", q)
			}
		}
	})
}

// TestCampaignOnBothEngines: import, assign, progress and completion on
// SQLite and PostgreSQL, scoped to the officer's subtree.
func TestCampaignOnBothEngines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		units := map[string]*org.Unit{}
		for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code},
			{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: root.Code}} {
			if units[u.Code], err = o.CreateUnit(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		as := func(role auth.Role, code string) context.Context {
			u := units[code]
			return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: "o@" + code, Role: role, UnitID: u.ID, UnitCode: code, UnitPath: u.Path, Via: "token"})
		}
		svc := &training.Service{DB: db}
		rows := func(csv string) []training.EmployeeRow {
			r, err := training.ParseEmployees(strings.NewReader("name,email,position,department\n" + csv))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if _, err := svc.ImportEmployees(as(auth.RoleOfficer, "A"), "B", rows("X,x@b.vn,,\n")); errs.Code(err) != errs.ENOTFOUND {
			t.Fatalf("officer A imports into B: %v", err)
		}
		if _, err := svc.ImportEmployees(as(auth.RoleOfficer, "A"), "A1", rows("An,an@a.vn,,Thu\nBình,binh@a.vn,,Thu\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportEmployees(as(auth.RoleOfficer, "B"), "B", rows("Chi,chi@b.vn,,\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportEmployees(as(auth.RoleOfficer, "B"), "B", rows("An,an@a.vn,,\n")); err == nil || !strings.Contains(err.Error(), "line 2, column email") {
			t.Fatalf("officer B takes A's employee: %v", err)
		}
		due := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
		c, err := svc.CreateCampaign(as(auth.RoleOfficer, "A"), training.CampaignInput{Course: training.StarterSlug, Units: []string{"A"}, DueAt: due})
		if err != nil || c.People != 2 {
			t.Fatalf("campaign: %v %+v", err, c)
		}
		if _, err := svc.CreateCampaign(as(auth.RoleOfficer, "A"), training.CampaignInput{Course: training.StarterSlug, Units: []string{"B"}, DueAt: due}); errs.Code(err) != errs.EINVALID {
			t.Fatalf("officer A assigns B: %v", err)
		}
		full, err := svc.Course(ctx, c.CourseID)
		if err != nil || len(full.Lessons) != 5 {
			t.Fatalf("starter: %v %d lessons", err, len(full.Lessons))
		}
		var pid int64
		db.QueryRow(ctx, `SELECT id FROM training_people WHERE email = 'an@a.vn'`).Scan(&pid)
		l := &training.Learner{PersonID: pid}
		for _, ls := range full.Lessons {
			wrong := map[int][]int{}
			res, err := svc.SubmitQuiz(ctx, l, c.CourseID, ls.Position, wrong)
			if err != nil || res.Passed {
				t.Fatalf("empty answers: %v %+v", err, res)
			}
			right := map[int][]int{}
			for i, q := range ls.Questions {
				right[i] = q.Right
			}
			if res, err = svc.SubmitQuiz(ctx, l, c.CourseID, ls.Position, right); err != nil || !res.Passed {
				t.Fatalf("right answers: %v %+v", err, res)
			}
		}
		got, err := svc.CompletionOf(as(auth.RoleOfficer, "A"), training.CompletionFilter{Unit: "A"})
		if err != nil || got != (training.Completion{Assigned: 2, Completed: 1, Passed: 1}) {
			t.Fatalf("completion: %v %+v", err, got)
		}
		if got, _ := svc.CompletionOf(as(auth.RoleOfficer, "B"), training.CompletionFilter{}); got.Assigned != 0 {
			t.Fatalf("officer B sees A's: %+v", got)
		}
		byUnit, err := svc.ByUnit(as(auth.RoleAnalyst, "A"), training.CompletionFilter{})
		if err != nil || len(byUnit) != 1 || byUnit[0].Unit != "A1" || !byUnit[0].Below || byUnit[0].Share != 50 {
			t.Fatalf("by unit: %v %+v", err, byUnit)
		}
		pdf, err := svc.MyCertificate(ctx, l, c.CourseID)
		if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Fatalf("certificate: %v", err)
		}
		// A second campaign of the same course counts her as done at once.
		c2, err := svc.CreateCampaign(as(auth.RoleAdmin, "A"), training.CampaignInput{Course: training.StarterSlug, Units: []string{"A1"}, DueAt: due})
		if err != nil || c2.Passed != 1 {
			t.Fatalf("second campaign: %v %+v", err, c2)
		}
	})
}
