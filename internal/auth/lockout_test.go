package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

const lockoutPassword = "the-right-password"

// lockoutWorld is a hub database with one unit and two users, the admin
// an attacker wants to lock out and a second account.
func lockoutWorld(t *testing.T, db *store.DB) *auth.Service {
	t.Helper()
	ctx := context.Background()
	hash, err := auth.HashPassword(lockoutPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := store.Now()
	if _, err := db.Exec(ctx, `INSERT INTO units (code, name, name_fold, kind, path, created_at, updated_at) VALUES ('HQ', 'HQ', 'hq', 'ministry', '/1/', ?, ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"admin@test.vigil", "other@test.vigil"} {
		if _, err := db.Exec(ctx, `INSERT INTO users (email, name, name_fold, role, unit_id, password_hash, created_at, updated_at)
			VALUES (?, 'A', 'a', 'admin', (SELECT id FROM units WHERE code = 'HQ'), ?, ?, ?)`, email, hash, now, now); err != nil {
			t.Fatal(err)
		}
	}
	return &auth.Service{DB: db}
}

func from(ip string) context.Context { return auth.WithClientIP(context.Background(), ip) }

// TestLockoutPerAddress: an attacker at address A sending wrong passwords
// for the admin locks only A's attempts, never the admin signing in from B.
func TestLockoutPerAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := lockoutWorld(t, db)
		for i := 0; i < 3*auth.AddressMaxFailures; i++ {
			if _, err := s.Login(from("198.51.100.66"), "admin@test.vigil", fmt.Sprintf("guess-%d", i)); err == nil {
				t.Fatal("a wrong password signed in")
			}
		}
		// A is locked out even with the right password...
		if _, err := s.Login(from("198.51.100.66"), "admin@test.vigil", lockoutPassword); err == nil {
			t.Error("address A is not locked after many wrong passwords")
		}
		// ...the admin at B is not.
		if _, err := s.Login(from("203.0.113.10"), "admin@test.vigil", lockoutPassword); err != nil {
			t.Errorf("the admin at B cannot sign in while A guesses: %v", err)
		}
		// Neither is another account at A (the address throttle, not the
		// lockout, limits spraying).
		if _, err := s.Login(from("198.51.100.66"), "other@test.vigil", lockoutPassword); err != nil {
			t.Errorf("another account at A is locked: %v", err)
		}
	})
}

// TestLockoutAccountWide: guesses spread over many addresses, each below
// the per-address limit, lock the account for new addresses; an address
// the user signed in from lately still gets in.
func TestLockoutAccountWide(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := lockoutWorld(t, db)
		const home = "203.0.113.10"
		if _, err := s.Login(from(home), "admin@test.vigil", lockoutPassword); err != nil {
			t.Fatal(err)
		}
		perAddress := auth.AddressMaxFailures - 1
		addresses := auth.AccountMaxFailures/perAddress + 1
		for a := 0; a < addresses; a++ {
			for i := 0; i < perAddress; i++ {
				if _, err := s.Login(from(fmt.Sprintf("198.51.100.%d", a+1)), "admin@test.vigil", "guess"); err == nil {
					t.Fatal("a wrong password signed in")
				}
			}
		}
		if _, err := s.Login(from("192.0.2.200"), "admin@test.vigil", lockoutPassword); err == nil {
			t.Errorf("after %d wrong passwords from %d addresses a new address still signs in", addresses*perAddress, addresses)
		}
		if _, err := s.Login(from(home), "admin@test.vigil", lockoutPassword); err != nil {
			t.Errorf("the admin's usual address is locked out by guesses from elsewhere: %v", err)
		}
		// An administrator's unlock lifts it.
		if err := db.InTx(context.Background(), func(tx *store.Tx) error {
			return auth.ClearLockout(context.Background(), tx, 1)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(from("192.0.2.200"), "admin@test.vigil", lockoutPassword); err != nil {
			t.Errorf("after unlock: %v", err)
		}
	})
}

// TestLoginAnswersAlike: an unknown account, a wrong password and a locked
// account get the same answer, in about the same time, so neither the
// message nor the clock tells an attacker which accounts exist.
func TestLoginAnswersAlike(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	s := lockoutWorld(t, db)
	for i := 0; i <= auth.AddressMaxFailures; i++ {
		s.Login(from("198.51.100.7"), "other@test.vigil", "guess")
	}
	cases := []struct {
		name, ip, email, password string
	}{
		{"unknown", "198.51.100.8", "nobody@test.vigil", "guess"},
		{"wrong", "198.51.100.9", "admin@test.vigil", "guess"},
		{"locked", "198.51.100.7", "other@test.vigil", lockoutPassword},
	}
	var first error
	took := map[string]time.Duration{}
	for _, c := range cases {
		var runs []time.Duration
		for i := 0; i < 3; i++ {
			start := time.Now()
			_, err := s.Login(from(c.ip), c.email, c.password)
			runs = append(runs, time.Since(start))
			if err == nil {
				t.Fatalf("%s: signed in", c.name)
			}
			if first == nil {
				first = err
			}
			if !errors.Is(err, auth.ErrBadCredentials) || errs.Code(err) != errs.Code(first) || err.Error() != first.Error() {
				t.Errorf("%s answers %q (%s), unlike %q (%s)", c.name, err, errs.Code(err), first, errs.Code(first))
			}
		}
		sort.Slice(runs, func(i, j int) bool { return runs[i] < runs[j] })
		took[c.name] = runs[1]
	}
	// Every branch spends an argon2 verification; skipping it would make a
	// branch 100 times faster, so a loose ratio is enough and stays stable
	// on a busy machine.
	for _, c := range cases {
		if took[c.name]*3 < took["wrong"] {
			t.Errorf("%s answers in %v, a wrong password in %v: the clock tells them apart", c.name, took[c.name], took["wrong"])
		}
	}
}
