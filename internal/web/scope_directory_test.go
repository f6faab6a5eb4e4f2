package web_test

import (
	"net/url"
	"strings"
	"testing"

	"vigil/internal/training/ldaptest"
)

const (
	dirBase  = "DC=bhxh,DC=gov,DC=vn"
	dirGroup = "CN=ATTT-A1,OU=Groups,DC=bhxh,DC=gov,DC=vn"
	dirBind  = "CN=vigil,OU=Service,DC=bhxh,DC=gov,DC=vn"
)

// directory starts an LDAP server with two members of A1's group and has
// the IT Center (admin) point the hub at it.
func (w *world) directory(t *testing.T) *ldaptest.Server {
	t.Helper()
	dir := ldaptest.NewServer(t, dirBase, dirBind, "pw")
	dir.Set(
		ldaptest.Entry{DN: "CN=An,OU=Users," + dirBase, Attrs: map[string][]string{"objectClass": {"person"}, "mail": {"an.ldap@a1.vn"}, "displayName": {"Nguyễn Văn An"}, "memberOf": {dirGroup}}},
		ldaptest.Entry{DN: "CN=NoMail,OU=Users," + dirBase, Attrs: map[string][]string{"objectClass": {"person"}, "displayName": {"Không Thư"}, "memberOf": {dirGroup}}},
	)
	in := map[string]any{"ldap_url": dir.URL, "bind_dn": dirBind, "bind_password": "pw", "base_dn": dirBase, "groups": []map[string]string{{"group": dirGroup, "unit": "A1"}}}
	expect(t, w.call("admin", "PUT", "/api/v1/training/directory", in), 200, "admin configures the directory")
	return dir
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/training/directory": func(t *testing.T, w *world) {
			w.directory(t)
			expect(t, w.call("officerA", "GET", "/api/v1/training/directory", nil), 403, "officerA reads the directory settings")
			expect(t, w.call("viewerA", "GET", "/api/v1/training/directory", nil), 403, "viewerA reads the directory settings")
			r := w.call("admin", "GET", "/api/v1/training/directory", nil)
			expect(t, r, 200, "admin reads the settings")
			if m := r.json(t); m["bind_password"] != nil || m["has_password"] != true {
				t.Errorf("the password comes back: %s", r.Body)
			}
		},
		"PUT /api/v1/training/directory": func(t *testing.T, w *world) {
			in := map[string]any{"ldap_url": "ldap://127.0.0.1:1", "base_dn": dirBase}
			expect(t, w.call("officerA", "PUT", "/api/v1/training/directory", in), 403, "officerA configures the directory")
			expect(t, w.call("analyst", "PUT", "/api/v1/training/directory", in), 403, "analyst configures the directory")
			r := w.call("admin", "PUT", "/api/v1/training/directory", map[string]any{"ldap_url": "ldap://x", "base_dn": dirBase, "groups": []map[string]string{{"group": "g", "unit": "NOPE"}}})
			expect(t, r, 400, "an unknown unit in the mappings")
			expect(t, w.call("admin", "PUT", "/api/v1/training/directory", in), 200, "admin configures the directory")
		},
		"POST /api/v1/training/directory/sync": func(t *testing.T, w *world) {
			w.directory(t)
			expect(t, w.call("officerA", "POST", "/api/v1/training/directory/sync", nil), 403, "officerA syncs")
			r := w.call("admin", "POST", "/api/v1/training/directory/sync", nil)
			expect(t, r, 200, "admin syncs")
			if m := r.json(t); m["added"] != float64(1) || !strings.Contains(string(r.Body), "CN=NoMail") {
				t.Errorf("sync: %s", r.Body)
			}
			// The synced employee is A1's: officerB does not see them.
			if strings.Contains(string(w.call("officerB", "GET", "/api/v1/training/employees", nil).Body), "an.ldap@a1.vn") {
				t.Error("officerB sees A1's synced employee")
			}
			if !strings.Contains(string(w.call("officerA", "GET", "/api/v1/training/employees", nil).Body), "an.ldap@a1.vn") {
				t.Error("officerA does not see A1's synced employee")
			}
		},
		"GET /api/v1/training/directory/runs": func(t *testing.T, w *world) {
			w.directory(t)
			expect(t, w.call("admin", "POST", "/api/v1/training/directory/sync", nil), 200, "admin syncs")
			expect(t, w.call("officerA", "GET", "/api/v1/training/directory/runs", nil), 403, "officerA lists the syncs")
			r := w.call("admin", "GET", "/api/v1/training/directory/runs?source=ldap&sort=added&order=desc", nil)
			expect(t, r, 200, "admin lists the syncs")
			items := r.items(t)
			if len(items) == 0 || items[0]["added"] != float64(1) {
				t.Errorf("runs (the one that added first): %s", r.Body)
			}
			expect(t, w.call("admin", "GET", "/api/v1/training/directory/runs?format=xlsx", nil), 200, "export")
			expect(t, w.call("admin", "GET", "/api/v1/training/directory/runs?sort=bogus", nil), 400, "bad sort")
		},
	} {
		scopeMatrix[k] = v
	}
}

// TestDirectoryPage: the IT Center's settings page — a bad value comes
// back beside its field with the input kept (not the password), "sync
// now" shows the run with the refused entry named, in Vietnamese.
func TestDirectoryPage(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		dir := ldaptest.NewServer(t, dirBase, dirBind, "pw")
		dir.Set(
			ldaptest.Entry{DN: "CN=An,OU=Users," + dirBase, Attrs: map[string][]string{"objectClass": {"person"}, "mail": {"an.ldap@a1.vn"}, "displayName": {"Nguyễn Văn An"}, "memberOf": {dirGroup}}},
			ldaptest.Entry{DN: "CN=NoMail,OU=Users," + dirBase, Attrs: map[string][]string{"objectClass": {"person"}, "displayName": {"Không Thư"}, "memberOf": {dirGroup}}},
		)
		if s, body := w.getPage("officerA", "vi", "/training/directory"); s != 403 {
			t.Errorf("officerA opens the directory page: %d %.200s", s, body)
		}
		form := url.Values{"ldap_url": {dir.URL}, "bind_dn": {dirBind}, "bind_password": {"pw"}, "base_dn": {dirBase}, "sync_hours": {"6"},
			"groups": {dirGroup + " = A1\nCN=Bad = NOPE\n"}}
		s, body := w.postForm("admin", "vi", "/training/directory", form)
		if s != 400 || fieldMessage(body, "groups") != `Dòng 2: không có đơn vị "NOPE"` {
			t.Fatalf("bad mapping: %d %q", s, fieldMessage(body, "groups"))
		}
		if !strings.Contains(body, `value="`+dir.URL+`"`) || strings.Contains(body, `value="pw"`) {
			t.Error("the input is not kept, or the password comes back")
		}
		form.Set("groups", dirGroup+" = A1\n")
		if s, body := w.postForm("admin", "vi", "/training/directory", form); s != 303 {
			t.Fatalf("save: %d %.300s", s, body)
		}
		if s, body := w.postForm("admin", "vi", "/training/directory/sync", url.Values{}); s != 303 {
			t.Fatalf("sync now: %d %.300s", s, body)
		}
		s, body = w.getPage("admin", "vi", "/training/directory")
		if s != 200 || !strings.Contains(body, `id="sync-runs"`) || !strings.Contains(body, "CN=NoMail,OU=Users,"+dirBase+": không có địa chỉ e-mail (thuộc tính mail)") ||
			!strings.Contains(body, "Nguyễn Văn An &lt;an.ldap@a1.vn&gt;") {
			t.Errorf("the page does not show the run: %d", s)
		}
		if _, body := w.getPage("admin", "vi", "/training"); !strings.Contains(body, `href="/training/directory"`) {
			t.Error("no link to the directory page on /training")
		}
	})
}
