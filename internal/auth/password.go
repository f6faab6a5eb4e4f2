package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"vigil/internal/errs"
)

// Argon2id parameters: OWASP's second recommended set (19 MiB, 2 passes,
// 1 lane) keeps a login near 20 ms on one core and memory bounded when many
// logins arrive together.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// HashPassword returns the PHC-format argon2id hash of password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the encoded hash, in
// constant time with respect to the key.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the e-mail is unknown, so a login for a
// missing account costs the same time as one for a real account. It is
// made on first use: every vigil process (the agent too) would otherwise
// pay 100 ms and 20 MB at start for it.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("vigil-timing-equaliser")
	if err != nil {
		// Only a failing system random source gets here; without the
		// hash an unknown account would answer faster than a real one.
		panic("auth: make the timing-equaliser hash: " + err.Error())
	}
	return h
})

// CheckDummy burns the time of one password check.
func CheckDummy(password string) { CheckPassword(dummyHash(), password) }

// ValidatePassword enforces the password policy.
func ValidatePassword(field, password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return errs.Invalid(field, "must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 256 {
		return errs.Invalid(field, "must be at most 256 bytes")
	}
	return nil
}

// RandomPassword returns a strong password for generated accounts.
func RandomPassword() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
