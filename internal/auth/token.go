package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token so leaked tokens are easy to spot in
// logs and by secret scanners.
const TokenPrefix = "vgl_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random 160-bit secret with the given prefix.
func NewSecret(prefix string) string {
	b := make([]byte, 20)
	rand.Read(b)
	return prefix + strings.ToLower(b32.EncodeToString(b))
}

// HashSecret returns the hex SHA-256 of a secret. Secrets are random and
// long, so a fast hash is right here (unlike passwords): it makes the stored
// value useless to a thief and the lookup a single index probe.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// DisplayPrefix is the part of a token shown in lists so a user can tell
// tokens apart without the secret.
func DisplayPrefix(token string) string {
	if len(token) > 10 {
		return token[:10]
	}
	return token
}
