package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the expected parameters", h)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterx") {
		t.Fatal("check")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", h[:len(h)-3]} {
		if CheckPassword(bad, "x") {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
	if ValidatePassword("password", "short") == nil || ValidatePassword("password", "long enough pw") != nil {
		t.Error("password policy")
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(0, 0)
	th := NewThrottle(3, 60)
	th.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if !th.Allow("192.0.2.1") {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if th.Allow("192.0.2.1") {
		t.Fatal("burst exceeded but allowed")
	}
	if !th.Allow("192.0.2.2") {
		t.Fatal("other address throttled")
	}
	now = now.Add(time.Second)
	if !th.Allow("192.0.2.1") {
		t.Fatal("refill after a second")
	}
}

func TestScope(t *testing.T) {
	officer := &Principal{Role: RoleOfficer, UnitPath: "/1/7/"}
	viewer := &Principal{Role: RoleViewer, UnitPath: "/1/7/"}
	analyst := &Principal{Role: RoleAnalyst, UnitPath: "/1/2/"}
	agent := &Principal{Via: "agent", Role: RoleAdmin, UnitPath: "/1/7/"}
	cases := []struct {
		p               *Principal
		path            string
		read, write, mu bool
	}{
		{officer, "/1/7/", true, true, true},
		{officer, "/1/7/12/", true, true, true},
		{officer, "/1/71/", false, false, false}, // a sibling whose id starts alike
		{officer, "/1/", false, false, false},
		{viewer, "/1/7/", true, false, false},
		{analyst, "/1/9/", true, false, false},
		{agent, "/1/7/", false, false, false},
		{nil, "/1/", false, false, false},
	}
	for i, c := range cases {
		if got := c.p.CanRead(c.path); got != c.read {
			t.Errorf("%d: CanRead(%s) = %v", i, c.path, got)
		}
		if got := c.p.CanWrite(c.path); got != c.write {
			t.Errorf("%d: CanWrite(%s) = %v", i, c.path, got)
		}
		if got := c.p.CanManageUsers(c.path, RoleViewer); got != c.mu {
			t.Errorf("%d: CanManageUsers(%s) = %v", i, c.path, got)
		}
	}
	if officer.CanManageUsers("/1/7/", RoleAdmin) || officer.CanManageUsers("/1/7/", RoleAnalyst) {
		t.Error("officer may create admins or analysts")
	}
	if q, _ := agent.Scope("u.path"); q != "1=0" {
		t.Errorf("agent scope %q", q)
	}
	if q, args := officer.Scope("u.path"); q != `u.path LIKE ? ESCAPE '\'` || args[0] != "/1/7/%" {
		t.Errorf("officer scope %q %v", q, args)
	}
	if q, _ := (&Principal{Role: RoleViewer}).Scope("u.path"); q != "1=0" {
		t.Errorf("viewer without a unit: scope %q", q)
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(TokenPrefix), NewSecret(TokenPrefix)
	if a == b || !strings.HasPrefix(a, "vgl_") || len(a) < 30 {
		t.Fatalf("secrets %q %q", a, b)
	}
	if HashSecret(a) == a || len(HashSecret(a)) != 64 {
		t.Fatal("hash")
	}
	if DisplayPrefix(a) == a {
		t.Fatal("display prefix shows the whole secret")
	}
}
