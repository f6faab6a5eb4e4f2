package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestOwnPasswordChangeAPI: changing one's own password needs the current
// one, so a stolen token or session cannot lock the owner out for good;
// an administrator resetting someone else's password does not.
func TestOwnPasswordChangeAPI(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		self := "/api/v1/users/" + itoa(w.userIDs["officerA"])
		r := w.call("officerA", "PATCH", self, map[string]any{"password": "stolen-token-password"})
		expect(t, r, 400, "own password without the current one")
		if f := errorField(t, r); f != "current_password" {
			t.Errorf("error names field %q, want current_password: %s", f, r.Body)
		}
		r = w.call("officerA", "PATCH", self, map[string]any{"password": "stolen-token-password", "current_password": "a-wrong-guess"})
		expect(t, r, 400, "own password with a wrong current one")
		if f := errorField(t, r); f != "current_password" {
			t.Errorf("error names field %q, want current_password: %s", f, r.Body)
		}
		if w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "officera@test.vigil", "password": "stolen-token-password"}).Status == 201 {
			t.Fatal("the password changed without the current one")
		}
		expect(t, w.call("officerA", "PATCH", self, map[string]any{"password": "my-own-new-password", "current_password": testPassword}), 200, "own password with the current one")
		expect(t, w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "officera@test.vigil", "password": "my-own-new-password"}), 201, "sign in with the new password")

		// A viewer, who manages no one, still changes their own password.
		expect(t, w.call("viewerA", "PATCH", "/api/v1/users/"+itoa(w.userIDs["viewerA"]), map[string]any{"password": "viewer-new-password", "current_password": testPassword}), 200, "viewer changes own password")
		// ...and nothing else of their own.
		expect(t, w.call("analyst", "PATCH", "/api/v1/users/"+itoa(w.userIDs["analyst"]), map[string]any{"name": "x", "password": "analyst-new-password", "current_password": testPassword}), 403, "analyst renames self with a password change")

		// An admin's reset of another user needs no current password, and
		// is audited as a reset.
		expect(t, w.call("admin", "PATCH", "/api/v1/users/"+itoa(w.userIDs["officerB"]), map[string]any{"password": "reset-by-the-admin"}), 200, "admin resets officerB")
		items := w.call("admin", "GET", "/api/v1/audit?action=user.update&object_id="+itoa(w.userIDs["officerB"]), nil).items(t)
		if len(items) == 0 || !strings.Contains(string(mustJSON(items[0])), `"password_change":"reset"`) {
			t.Errorf("the reset is not audited as one: %v", items)
		}
	})
}

// TestOwnPasswordChangeForm: the user page asks for the current password;
// a wrong one shows the form again with the message beside the field.
func TestOwnPasswordChangeForm(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		b := newFormClient(t, w)
		if s := b.login("viewera@test.vigil", testPassword); s != 303 {
			t.Fatalf("login %d", s)
		}
		page := "/users/" + itoa(w.userIDs["viewerA"])
		// Every page links the signed-in user to their own page.
		if _, home, _ := b.do("GET", "/", nil, nil); !strings.Contains(home, `class="me" href="`+page+`"`) {
			t.Error("the header does not link to the user's own page")
		}
		_, body, _ := b.do("GET", page, nil, nil)
		if !strings.Contains(body, `name="current_password"`) || !strings.Contains(body, `name="password"`) {
			t.Fatalf("own user page has no password form:\n%s", body)
		}
		csrf := b.csrf(page)
		status, body, _ := b.do("POST", page, url.Values{"csrf": {csrf}, "password": {"viewer-new-password"}, "current_password": {"a-wrong-guess"}}, nil)
		if status != 400 {
			t.Errorf("wrong current password: %d, want 400", status)
		}
		field := strings.Index(body, `name="current_password"`)
		msg := strings.Index(body, `id="current_password-error"`)
		if field < 0 || msg < 0 || msg < field || !strings.Contains(body[msg:], "Mật khẩu hiện tại không đúng") {
			t.Errorf("the form is not shown again with the message beside the field:\n%s", body)
		}
		if !strings.Contains(body[field-300:field+300], `aria-describedby="current_password-error"`) {
			t.Errorf("the field does not point at its message:\n%s", body[field-300:field+300])
		}
		if w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": "viewer-new-password"}).Status == 201 {
			t.Fatal("the password changed with a wrong current one")
		}
		status, _, hdr := b.do("POST", page, url.Values{"csrf": {csrf}, "password": {"viewer-new-password"}, "current_password": {testPassword}}, nil)
		if status != 303 || !strings.Contains(hdr.Get("Location"), "flash=saved") {
			t.Errorf("right current password: %d %s", status, hdr.Get("Location"))
		}
		expect(t, w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": "viewer-new-password"}), 201, "sign in with the new password")
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func errorField(t *testing.T, r response) string {
	e, _ := r.json(t)["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}
