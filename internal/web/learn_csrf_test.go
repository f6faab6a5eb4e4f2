package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestLearnBesideOfficerSession: an officer signed in in the same browser
// (their cookie is sent to every path) does not stop an employee from
// signing in at /learn and answering a quiz with the learner's own CSRF
// token; the officer's token does not pass for the learner's; and the
// drill's public landing form is not refused for the officer's CSRF token.
func TestLearnBesideOfficerSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, course := w.trainingWorld(t)
		b := newFormClient(t, w)
		if s := b.login("officera@test.vigil", testPassword); s != 303 {
			t.Fatalf("officer login: %d", s)
		}
		officerCSRF := b.csrf("/units")

		var pid int64
		if err := db.QueryRow(t.Context(), `SELECT id FROM training_people WHERE email = ?`, "an@a1.vn").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		token := "vgt_csrftestlink"
		now := time.Now()
		if _, err := db.Exec(t.Context(), `INSERT INTO training_links (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			auth.HashSecret(token), pid, store.Micros(now), store.Micros(now.Add(10*time.Minute))); err != nil {
			t.Fatal(err)
		}
		if s, body, _ := b.do("POST", "/learn/login", url.Values{"email": {"an@a1.vn"}}, nil); s != 200 {
			t.Errorf("asking for a link beside an officer session: %d %.300s", s, body)
		}
		if s, body, h := b.do("POST", "/learn/signin", url.Values{"t": {token}}, nil); s != 303 || h.Get("Location") != "/learn" {
			t.Fatalf("signing in beside an officer session: %d %.300s", s, body)
		}
		_, home, _ := b.do("GET", "/learn", nil, nil)
		if !strings.Contains(home, "Nguyễn Văn An") {
			t.Fatalf("/learn does not show the learner: %.500s", home)
		}
		lesson := "/learn/courses/" + course + "/lessons/1"
		learnerCSRF := b.csrf(lesson)
		if learnerCSRF == officerCSRF {
			t.Fatal("the learner's page carries the officer's CSRF token")
		}
		if s, _, _ := b.do("POST", lesson, url.Values{"csrf": {officerCSRF}, "q0": {"0"}}, nil); s != 403 {
			t.Errorf("quiz posted with the officer's token: %d, want 403", s)
		}
		s, body, _ := b.do("POST", lesson, url.Values{"csrf": {learnerCSRF}, "q0": {"0"}}, nil)
		if s != 200 || !strings.Contains(body, `id="quiz-result"`) {
			t.Errorf("quiz posted with the learner's token beside an officer session: %d %.300s", s, body)
		}
		var attempts int
		if err := db.QueryRow(t.Context(), `SELECT COALESCE(SUM(attempts), 0) FROM training_progress WHERE person_id = ?`, pid).Scan(&attempts); err != nil {
			t.Fatal(err)
		}
		if attempts != 1 {
			t.Errorf("%d attempts recorded, want 1", attempts)
		}
		// The drill's landing form: an unknown token is "not found", not
		// a CSRF refusal.
		if s, _, _ := b.do("POST", "/p/1.bad", url.Values{}, nil); s != 404 {
			t.Errorf("drill landing POST beside an officer session: %d, want 404", s)
		}
		// The officer's own pages still want the officer's token.
		if s, _, _ := b.do("POST", "/units", url.Values{"csrf": {learnerCSRF}, "code": {"A9"}}, nil); s != 403 {
			t.Errorf("officer page with the learner's token: %d, want 403", s)
		}
	})
}
