package sources

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Identity is what ingest needs of a source to stamp its events.
type Identity struct {
	ID     int64
	UnitID int64
	Name   string
	Kind   string
}

// Refusals of a token, as counted by ingest.
var (
	errNotToken = errs.Errorf(errs.EUNAUTHORIZED, "not an event source token")
	errUnknown  = errs.Errorf(errs.EUNAUTHORIZED, "unknown event source token")
	errRevoked  = errs.Errorf(errs.EUNAUTHORIZED, "this event source was revoked")
)

// cached is Authenticate's answer for one token hash, until a time.
type cached struct {
	id    Identity
	err   error
	until time.Time
}

// maxCached bounds the cache: a flood of made-up tokens must not grow it
// without end.
const maxCached = 4096

func (s *Service) ttl() time.Duration {
	if s.CacheTTL > 0 {
		return s.CacheTTL
	}
	return 5 * time.Second
}

// Authenticate says which active source token belongs to. It is on the hot
// path of the events API: answers, good and bad, are kept CacheTTL, so a
// revoked or rotated token stops working within seconds in every hub
// process (at once in the one that revoked it). The error is
// EUNAUTHORIZED; ReasonOf names it for the counters.
func (s *Service) Authenticate(ctx context.Context, token string) (Identity, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return Identity{}, errNotToken
	}
	hash := auth.HashSecret(token)
	now := s.now()
	s.cacheMu.Lock()
	c, ok := s.cache[hash]
	s.cacheMu.Unlock()
	if ok && now.Before(c.until) {
		return c.id, c.err
	}
	var id Identity
	var revoked int64
	err := s.DB.QueryRow(ctx, `SELECT id, unit_id, name, kind, revoked_at FROM sources WHERE token_hash = ?`, hash).Scan(&id.ID, &id.UnitID, &id.Name, &id.Kind, &revoked)
	switch {
	case store.IsNoRows(err):
		err = errUnknown
	case err != nil:
		// The database failing is not the sender's fault: not cached.
		return Identity{}, fmt.Errorf("sources: authenticate: %w", err)
	case revoked != 0:
		err = errRevoked
	}
	s.cacheMu.Lock()
	if s.cache == nil || len(s.cache) >= maxCached {
		s.pruneCache(now)
	}
	s.cache[hash] = cached{id: id, err: err, until: now.Add(s.ttl())}
	s.cacheMu.Unlock()
	return id, err
}

// pruneCache drops expired answers, or all of them when none expired;
// called with cacheMu held.
func (s *Service) pruneCache(now time.Time) {
	if s.cache == nil {
		s.cache = map[string]cached{}
		return
	}
	for k, c := range s.cache {
		if !now.Before(c.until) {
			delete(s.cache, k)
		}
	}
	if len(s.cache) >= maxCached {
		s.cache = map[string]cached{}
	}
}

// forget drops a token's cached answer (revoked or rotated here).
func (s *Service) forget(hash string) {
	if hash == "" {
		return
	}
	s.cacheMu.Lock()
	delete(s.cache, hash)
	s.cacheMu.Unlock()
}

// ReasonOf names the refusal Authenticate returned, for counters:
// ReasonRevoked, ReasonUnknownToken, or "" for another error.
func ReasonOf(err error) string {
	switch err {
	case nil:
		return ""
	case errRevoked:
		return ReasonRevoked
	case errUnknown, errNotToken:
		return ReasonUnknownToken
	}
	return ""
}
