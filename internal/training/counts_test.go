package training_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// TestCountersFollowAssignments: the per-unit completion counters the
// dashboard reads agree with counting the assignments themselves after
// what changes them — a campaign, quizzes finished at the same time by
// people of the same unit, a follow-up enrolment, a second campaign that
// counts earlier passes at once — on both engines.
func TestCountersFollowAssignments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code},
			{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: root.Code}} {
			if _, err := o.CreateUnit(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		svc := &training.Service{DB: db}
		for unit, n := range map[string]int{"A": 3, "A1": 8, "B": 4} {
			var csv strings.Builder
			csv.WriteString("name,email,position,department\n")
			for i := range n {
				fmt.Fprintf(&csv, "Người %d,p%d@%s.vn,,Phòng %d\n", i, i, strings.ToLower(unit), i%2)
			}
			rows, err := training.ParseEmployees(strings.NewReader(csv.String()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ImportEmployees(ctx, unit, rows); err != nil {
				t.Fatal(err)
			}
		}
		due := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
		c, err := svc.CreateCampaign(ctx, training.CampaignInput{Course: training.StarterSlug, Units: []string{root.Code}, DueAt: due})
		if err != nil || c.People != 15 {
			t.Fatalf("campaign: %v %+v", err, c)
		}
		course, err := svc.Course(ctx, c.CourseID)
		if err != nil {
			t.Fatal(err)
		}
		var a1 []int64
		rows, err := db.Query(ctx, `SELECT p.id FROM training_people p JOIN units u ON u.id = p.unit_id WHERE u.code = 'A1' ORDER BY p.id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			a1 = append(a1, id)
		}
		rows.Close()
		// Everyone in A1 at once: half pass every quiz, half answer
		// nothing (completed, not passed); the last two stop half-way.
		var wg sync.WaitGroup
		errc := make(chan error, len(a1))
		for i, pid := range a1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := &training.Learner{PersonID: pid}
				for li, ls := range course.Lessons {
					if i >= len(a1)-2 && li >= 2 {
						return
					}
					answers := map[int][]int{}
					if i%2 == 0 {
						for qi, q := range ls.Questions {
							answers[qi] = q.Right
						}
					}
					if _, err := svc.SubmitQuiz(ctx, l, c.CourseID, ls.Position, answers); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		check := func(what string) {
			t.Helper()
			type key struct {
				campaign int64
				unit     string
			}
			want := map[key]training.Completion{}
			rows, err := db.Query(ctx, `SELECT a.campaign_id, u.code, COUNT(*), SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
				FROM training_assignments a JOIN units u ON u.id = a.unit_id GROUP BY a.campaign_id, u.code`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k key
				var c training.Completion
				if err := rows.Scan(&k.campaign, &k.unit, &c.Assigned, &c.Completed, &c.Passed); err != nil {
					t.Fatal(err)
				}
				want[k] = c
			}
			rows.Close()
			campaigns := map[int64]bool{}
			for k := range want {
				campaigns[k.campaign] = true
			}
			for id := range campaigns {
				got, err := svc.ByUnit(ctx, training.CompletionFilter{Campaign: id})
				if err != nil {
					t.Fatal(err)
				}
				var total training.Completion
				for _, r := range got {
					if w := want[key{id, r.Unit}]; r.Completion != w {
						t.Errorf("%s: campaign %d unit %s: counters %+v, assignments %+v", what, id, r.Unit, r.Completion, w)
					}
					total.Assigned += r.Assigned
					total.Completed += r.Completed
					total.Passed += r.Passed
				}
				n := 0
				for k := range want {
					if k.campaign == id {
						n++
					}
				}
				if len(got) != n {
					t.Errorf("%s: campaign %d: %d units on the dashboard, %d with assignments", what, id, len(got), n)
				}
				if all, err := svc.CompletionOf(ctx, training.CompletionFilter{Campaign: id}); err != nil || all != total {
					t.Errorf("%s: campaign %d: completion %+v %v, units add up to %+v", what, id, all, err, total)
				}
			}
		}
		check("after the quizzes")
		got, _ := svc.CompletionOf(ctx, training.CompletionFilter{Campaign: c.ID, Unit: "A"})
		if got != (training.Completion{Assigned: 11, Completed: 6, Passed: 3}) {
			t.Errorf("A's subtree: %+v, want 11 assigned, 6 completed, 3 passed", got)
		}
		dept, _ := svc.CompletionOf(ctx, training.CompletionFilter{Campaign: c.ID, Unit: "A1", Department: "Phòng 0"})
		if dept != (training.Completion{Assigned: 4, Completed: 3, Passed: 3}) {
			t.Errorf("A1's Phòng 0: %+v", dept)
		}

		units := map[string]int64{}
		for _, code := range []string{"A1", "B"} {
			var id int64
			db.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, code).Scan(&id)
			units[code] = id
		}
		// A follow-up enrolment, twice for the same person (counted once).
		var bPerson int64
		db.QueryRow(ctx, `SELECT p.id FROM training_people p WHERE p.email = 'p0@b.vn'`).Scan(&bPerson)
		fu, err := svc.EnrollFollowUp(ctx, 0, "Sau diễn tập", units["B"], c.CourseID, bPerson)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.EnrollFollowUp(ctx, fu, "Sau diễn tập", units["B"], c.CourseID, bPerson); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.EnrollFollowUp(ctx, fu, "Sau diễn tập", units["B"], c.CourseID, a1[0]); err != nil {
			t.Fatal(err)
		}
		check("after follow-up enrolments")
		// A second campaign: A1's passes count at once.
		c2, err := svc.CreateCampaign(ctx, training.CampaignInput{Course: training.StarterSlug, Units: []string{"A1"}, DueAt: due})
		if err != nil || c2.Completed != 6 || c2.Passed != 3 {
			t.Fatalf("second campaign: %v %+v", err, c2)
		}
		check("after a second campaign")
		// The last one of A1 finishes: every campaign they are in moves.
		l := &training.Learner{PersonID: a1[len(a1)-1]}
		for _, ls := range course.Lessons[2:] {
			if _, err := svc.SubmitQuiz(ctx, l, c.CourseID, ls.Position, map[int][]int{}); err != nil {
				t.Fatal(err)
			}
		}
		check("after a late finish")
		// Rebuilding the counters changes nothing.
		if err := svc.RecountCompletion(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a recount")
	})
}
