package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// world is a small organisation on a running test hub:
//
//	BHXHVN (admin, viewerRoot)
//	├── ITC      (analyst)
//	├── A        (officerA, viewerA)   contact cA
//	│   └── A1
//	└── B        (officerB)            contact cB
type world struct {
	t       *testing.T
	db      *store.DB
	hub     *hub.Hub
	srv     *httptest.Server
	tokens  map[string]string // actor -> bearer token
	userIDs map[string]int64  // actor -> user id
	contact map[string]int64  // unit -> contact id

	hostIDs    map[string]int64  // unit -> host with an agent
	agentTok   map[string]string // unit -> agent bearer token
	findingIDs map[string]int64  // unit -> finding id
}

const testPassword = "correct-horse-battery"

var actors = map[string]struct {
	role auth.Role
	unit string
}{
	"admin":    {auth.RoleAdmin, "BHXHVN"},
	"analyst":  {auth.RoleAnalyst, "ITC"},
	"officerA": {auth.RoleOfficer, "A"},
	"viewerA":  {auth.RoleViewer, "A"},
	"officerB": {auth.RoleOfficer, "B"},
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	return newWorldLogging(t, db, slog.New(slog.DiscardHandler))
}

// newWorldLogging is newWorld with the hub logging to logger.
func newWorldLogging(t *testing.T, db *store.DB, logger *slog.Logger) *world {
	t.Helper()
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: logger, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Bảo hiểm xã hội huyện Krông Pắc", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := h.Org.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{t: t, db: db, hub: h, tokens: map[string]string{}, userIDs: map[string]int64{}, contact: map[string]int64{}}
	for name, a := range actors {
		email := strings.ToLower(name) + "@test.vigil"
		if name == "admin" {
			email = "admin@test.vigil"
		} else {
			u, err := h.Org.CreateUser(sys, org.UserInput{Email: email, Name: "Người dùng " + name, Password: testPassword, Role: string(a.role), Unit: a.unit})
			if err != nil {
				t.Fatal(err)
			}
			w.userIDs[name] = u.ID
		}
		p, err := h.Auth.Login(auth.WithClientIP(ctx, "192.0.2.1"), email, testPassword)
		if err != nil {
			t.Fatalf("login %s: %v", name, err)
		}
		w.userIDs[name] = p.UserID
		_, secret, err := h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = secret
	}
	for _, unit := range []string{"A", "B"} {
		c, err := h.Org.AddContact(sys, unit, org.ContactInput{Name: "Đầu mối " + unit, Position: "Cán bộ", Phone: "0900 000 001", Email: "contact." + strings.ToLower(unit) + "@test.vigil"})
		if err != nil {
			t.Fatal(err)
		}
		w.contact[unit] = c.ID
	}
	w.srv = httptest.NewServer(h.Server.Handler())
	t.Cleanup(w.srv.Close)
	w.addHosts(t)
	return w
}

// response is a decoded API answer.
type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, r.Body)
	}
	return m
}

// items returns a list response's items.
func (r response) items(t *testing.T) []map[string]any {
	t.Helper()
	m := r.json(t)
	raw, ok := m["items"].([]any)
	if !ok {
		t.Fatalf("response has no items: %s", r.Body)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

// call sends an API request as actor ("" for anonymous).
func (w *world) call(actor, method, path string, body any) response {
	w.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ct = "text/csv"
	case jsonBody:
		rd = strings.NewReader(string(b))
		ct = "application/json"
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
		ct = "application/json"
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	switch {
	case len(actor) > 6 && actor[:6] == "agent.", strings.HasPrefix(actor, "vge_"), strings.HasPrefix(actor, "vgs_"):
		req.Header.Set("Authorization", "Bearer "+actor)
	case actor != "":
		req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// each runs fn with a fresh world on every engine.
func each(t *testing.T, fn func(t *testing.T, w *world)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fn(t, newWorld(t, db))
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
