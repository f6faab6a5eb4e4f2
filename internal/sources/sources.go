// Package sources keeps the registered event sources of the watch: a SIEM,
// the central anti-malware console, an IDS, a firewall, sending to the hub
// over syslog or HTTP. Each belongs to a unit, has a kind, an expected
// reporting interval (health raises an alert when it stays silent longer),
// a token for the events API (shown once, stored as its SHA-256) and,
// for syslog senders that carry no token, the addresses it sends from.
//
// Ingest asks two questions on its hot path — whose token is this
// (Authenticate) and whose address is this (MatchSender) — and both are
// answered from memory; counts of accepted and refused events are kept in
// memory too and written to the database in batches (Run, Flush).
package sources

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// TokenPrefix starts every source token.
const TokenPrefix = "vgs_"

// Kinds of source.
const (
	KindSIEM        = "siem"
	KindAntimalware = "antimalware"
	KindIDS         = "ids"
	KindFirewall    = "firewall"
	KindAgent       = "agent"
	KindOther       = "other"
)

// Kinds lists the kinds in the order forms offer them.
var Kinds = []string{KindSIEM, KindAntimalware, KindIDS, KindFirewall, KindAgent, KindOther}

// Limits of a source's settings.
const (
	DefaultInterval = 60          // minutes
	MaxInterval     = 7 * 24 * 60 // a week
	MaxSenders      = 64
	MaxNameLen      = 200
)

// Source is one registered event source.
type Source struct {
	ID              int64            `json:"id"`
	Unit            string           `json:"unit"`
	UnitName        string           `json:"unit_name"`
	UnitID          int64            `json:"-"`
	UnitPath        string           `json:"-"`
	Name            string           `json:"name"`
	Kind            string           `json:"kind"`
	IntervalMinutes int              `json:"interval_minutes"`
	Senders         []string         `json:"senders"`
	Prefix          string           `json:"prefix"`
	CreatedAt       time.Time        `json:"created_at"`
	TokenAt         time.Time        `json:"token_at"`
	RevokedAt       time.Time        `json:"revoked_at,omitzero"`
	Accepted        int64            `json:"accepted"`
	Refused         int64            `json:"refused"`
	RefusedBy       map[string]int64 `json:"refused_by,omitempty"`
	FirstEventAt    time.Time        `json:"first_event_at,omitzero"`
	LastEventAt     time.Time        `json:"last_event_at,omitzero"`
	// Token is the secret, only in the answers that create or rotate it.
	Token string `json:"token,omitempty"`
}

// Active reports whether the source may still send.
func (s *Source) Active() bool { return s.RevokedAt.IsZero() }

// Silent reports whether an active source has sent nothing for longer
// than its interval (counting from its creation when it never sent).
func (s *Source) Silent(now time.Time) bool {
	if !s.Active() {
		return false
	}
	last := s.LastEventAt
	if last.IsZero() {
		last = s.CreatedAt
	}
	return now.Sub(last) > time.Duration(s.IntervalMinutes)*time.Minute
}

// Input registers a source.
type Input struct {
	Unit            string   `json:"unit"`
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	IntervalMinutes int      `json:"interval_minutes,omitempty"` // default 60
	Senders         []string `json:"senders,omitempty"`          // addresses or CIDRs syslog arrives from
}

// Patch changes a source; absent fields stay.
type Patch struct {
	Name            *string   `json:"name,omitempty"`
	Kind            *string   `json:"kind,omitempty"`
	IntervalMinutes *int      `json:"interval_minutes,omitempty"`
	Senders         *[]string `json:"senders,omitempty"`
}

// Service is the sources service.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
	// CacheTTL is how long Authenticate trusts what it read (5 s when 0):
	// a token revoked by another hub process stops working within it.
	CacheTTL time.Duration

	cacheMu sync.Mutex
	cache   map[string]cached // by token hash

	senders senderSnapshot // see senders.go
	tallies tallies        // see counters.go
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Create registers a source in a unit the caller may write and returns it
// with its token, shown this once.
func (s *Service) Create(ctx context.Context, in Input) (*Source, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	unitID, path, unitName, err := s.unitInScope(ctx, p, in.Unit, errs.Invalid("unit", "unit %q does not exist", in.Unit))
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(path) {
		return nil, errs.Forbidden("you may not register event sources in unit %s", in.Unit)
	}
	if in.IntervalMinutes == 0 {
		in.IntervalMinutes = DefaultInterval
	}
	name, err := checkName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkKind(in.Kind); err != nil {
		return nil, err
	}
	if err := checkInterval(in.IntervalMinutes); err != nil {
		return nil, err
	}
	senders, err := ParseSenders(in.Senders)
	if err != nil {
		return nil, err
	}
	secret := auth.NewSecret(TokenPrefix)
	now := s.now().UTC()
	src := &Source{Unit: in.Unit, UnitName: unitName, UnitID: unitID, UnitPath: path, Name: name, Kind: in.Kind, IntervalMinutes: in.IntervalMinutes,
		Senders: senders, Prefix: auth.DisplayPrefix(secret), CreatedAt: now, TokenAt: now, Token: secret}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.checkSendersFree(ctx, tx, 0, senders); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO sources (unit_id, name, name_key, kind, interval_minutes, senders, token_hash, prefix, created_by, created_at, token_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			unitID, name, nameKey(name), in.Kind, in.IntervalMinutes, strings.Join(senders, ","), auth.HashSecret(secret), src.Prefix, p.UserID,
			store.Micros(now), store.Micros(now)).Scan(&src.ID)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "unit %s already has a source named %q", in.Unit, name)
		}
		if err != nil {
			return fmt.Errorf("sources: create %q: %w", name, err)
		}
		if err := forgetUnknown(ctx, tx, senders); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "source.create", ObjectType: "source", ObjectID: strconv.FormatInt(src.ID, 10), UnitID: unitID,
			After: map[string]any{"name": name, "source_kind": in.Kind, "unit": in.Unit, "interval_minutes": in.IntervalMinutes, "senders": senders, "prefix": src.Prefix}})
	})
	if err != nil {
		return nil, err
	}
	s.senders.invalidate()
	return src, nil
}

// Filter selects sources in the caller's scope.
type Filter struct {
	Unit   string // the unit's whole subtree
	Kind   string
	Status string // "", "active", "revoked", "silent"
	Q      string // in the name
	Sort   string // a key of Sorts
	Desc   bool
	Offset int
	Limit  int
}

// Sorts are the columns a list of sources sorts by.
var Sorts = map[string]string{
	"name":       "s.name_key",
	"unit":       "u.code",
	"kind":       "s.kind",
	"created":    "s.created_at",
	"last_event": "s.last_event_at",
	"accepted":   "s.accepted",
	"refused":    "s.refused",
}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"name", "unit", "kind", "created", "last_event", "accepted", "refused"}

// Statuses a list filters on.
var Statuses = []string{"active", "silent", "revoked"}

const selectSource = `SELECT s.id, u.code, u.name, u.id, u.path, s.name, s.kind, s.interval_minutes, s.senders, s.prefix, s.created_at, s.token_at, s.revoked_at,
	s.accepted, s.refused, s.first_event_at, s.last_event_at`

const fromSource = ` FROM sources s JOIN units u ON u.id = s.unit_id`

// List returns a page of the sources in the caller's scope that match f,
// and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]*Source, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("s.id DESC", f.Limit, 100).Scope(p, "u.path")
	if f.Unit != "" {
		_, path, _, err := s.unitInScope(ctx, p, f.Unit, errs.NotFound("unit "+strconv.Quote(f.Unit)))
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	if f.Kind != "" {
		if err := checkKind(f.Kind); err != nil {
			return nil, 0, err
		}
		l.Where("s.kind = ?", f.Kind)
	}
	switch f.Status {
	case "":
	case "active":
		l.Where("s.revoked_at = 0")
	case "revoked":
		l.Where("s.revoked_at <> 0")
	case "silent":
		// The interval is per row: compare in microseconds.
		l.Where("s.revoked_at = 0 AND (CASE WHEN s.last_event_at = 0 THEN s.created_at ELSE s.last_event_at END) + CAST(s.interval_minutes AS BIGINT) * 60000000 < ?", store.Micros(s.now()))
	default:
		return nil, 0, errs.Invalid("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		l.Where(`s.name_key LIKE ? ESCAPE '\'`, store.LikeContains(nameKey(q)))
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, selectSource, fromSource, scanSource)
	if err != nil {
		return nil, 0, fmt.Errorf("sources: list: %w", err)
	}
	if err := s.loadRefusals(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func scanSource(sc store.Scanner) (*Source, error) {
	var src Source
	var senders string
	var created, tokenAt, revoked, first, last int64
	if err := sc.Scan(&src.ID, &src.Unit, &src.UnitName, &src.UnitID, &src.UnitPath, &src.Name, &src.Kind, &src.IntervalMinutes, &senders, &src.Prefix,
		&created, &tokenAt, &revoked, &src.Accepted, &src.Refused, &first, &last); err != nil {
		return nil, err
	}
	src.Senders = splitSenders(senders)
	src.CreatedAt, src.TokenAt, src.RevokedAt = store.Time(created), store.Time(tokenAt), store.Time(revoked)
	src.FirstEventAt, src.LastEventAt = store.Time(first), store.Time(last)
	return &src, nil
}

func splitSenders(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// loadRefusals fills RefusedBy of the sources that refused anything.
func (s *Service) loadRefusals(ctx context.Context, list []*Source) error {
	var ids []string
	byID := map[int64]*Source{}
	for _, src := range list {
		if src.Refused > 0 {
			ids = append(ids, strconv.FormatInt(src.ID, 10))
			byID[src.ID] = src
		}
	}
	if len(ids) == 0 {
		return nil
	}
	// The ids are integers formatted here, not input.
	rows, err := s.DB.Query(ctx, `SELECT source_id, reason, count FROM source_refusals WHERE source_id IN (`+strings.Join(ids, ",")+`)`)
	if err != nil {
		return fmt.Errorf("sources: refusals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var reason string
		if err := rows.Scan(&id, &reason, &n); err != nil {
			return err
		}
		if src := byID[id]; src != nil {
			if src.RefusedBy == nil {
				src.RefusedBy = map[string]int64{}
			}
			src.RefusedBy[reason] = n
		}
	}
	return rows.Err()
}

// Get returns one source in the caller's scope.
func (s *Service) Get(ctx context.Context, id int64) (*Source, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	src, err := scanSource(s.DB.QueryRow(ctx, selectSource+fromSource+` WHERE s.id = ?`, id))
	if err := p.CheckRead(err, func() string { return src.UnitPath }, errs.NotFound("source")); err != nil {
		return nil, fmt.Errorf("sources: get %d: %w", id, err)
	}
	if err := s.loadRefusals(ctx, []*Source{src}); err != nil {
		return nil, err
	}
	return src, nil
}

// load reads a source for a change in tx: not found outside the caller's
// scope, forbidden without write access.
func (s *Service) load(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, forbidden string) (*Source, error) {
	src, err := scanSource(tx.QueryRow(ctx, selectSource+fromSource+` WHERE s.id = ?`, id))
	if err := p.CheckRead(err, func() string { return src.UnitPath }, errs.NotFound("source")); err != nil {
		return nil, fmt.Errorf("sources: %d: %w", id, err)
	}
	if !p.CanWrite(src.UnitPath) {
		return nil, errs.Forbidden(forbidden)
	}
	return src, nil
}

// Update changes a source's name, kind, interval or sender addresses.
func (s *Service) Update(ctx context.Context, id int64, in Patch) (*Source, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Source
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		src, err := s.load(ctx, tx, p, id, "you may not change this source")
		if err != nil {
			return err
		}
		before := map[string]any{"name": src.Name, "source_kind": src.Kind, "interval_minutes": src.IntervalMinutes, "senders": src.Senders}
		if in.Name != nil {
			if src.Name, err = checkName(*in.Name); err != nil {
				return err
			}
		}
		if in.Kind != nil {
			if err := checkKind(*in.Kind); err != nil {
				return err
			}
			src.Kind = *in.Kind
		}
		if in.IntervalMinutes != nil {
			if err := checkInterval(*in.IntervalMinutes); err != nil {
				return err
			}
			src.IntervalMinutes = *in.IntervalMinutes
		}
		if in.Senders != nil {
			if src.Senders, err = ParseSenders(*in.Senders); err != nil {
				return err
			}
			if err := s.checkSendersFree(ctx, tx, id, src.Senders); err != nil {
				return err
			}
			if err := forgetUnknown(ctx, tx, src.Senders); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE sources SET name = ?, name_key = ?, kind = ?, interval_minutes = ?, senders = ? WHERE id = ?`,
			src.Name, nameKey(src.Name), src.Kind, src.IntervalMinutes, strings.Join(src.Senders, ","), id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "unit %s already has a source named %q", src.Unit, src.Name)
		}
		if err != nil {
			return fmt.Errorf("sources: update %d: %w", id, err)
		}
		out = src
		return audit.Append(ctx, tx, audit.Entry{Action: "source.update", ObjectType: "source", ObjectID: strconv.FormatInt(id, 10), UnitID: src.UnitID,
			Before: before, After: map[string]any{"name": src.Name, "source_kind": src.Kind, "interval_minutes": src.IntervalMinutes, "senders": src.Senders}})
	})
	if err != nil {
		return nil, err
	}
	s.senders.invalidate()
	return out, nil
}

// Revoke stops a source's token and addresses being accepted; its counts
// stay for the record. Revoking a revoked source does nothing.
func (s *Service) Revoke(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	var hash string
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		src, err := s.load(ctx, tx, p, id, "you may not revoke this source")
		if err != nil {
			return err
		}
		if !src.Active() {
			return nil
		}
		if err := tx.QueryRow(ctx, `SELECT token_hash FROM sources WHERE id = ?`, id).Scan(&hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sources SET revoked_at = ? WHERE id = ?`, store.Micros(s.now()), id); err != nil {
			return fmt.Errorf("sources: revoke %d: %w", id, err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "source.revoke", ObjectType: "source", ObjectID: strconv.FormatInt(id, 10), UnitID: src.UnitID,
			Before: map[string]any{"name": src.Name, "prefix": src.Prefix}})
	})
	if err != nil {
		return err
	}
	s.forget(hash)
	s.senders.invalidate()
	return nil
}

// RotateToken gives an active source a new token, returned this once; the
// old one stops working at once in this process and within CacheTTL in
// others.
func (s *Service) RotateToken(ctx context.Context, id int64) (*Source, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var src *Source
	var oldHash string
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		src, err = s.load(ctx, tx, p, id, "you may not change this source's token")
		if err != nil {
			return err
		}
		if !src.Active() {
			return errs.Conflict("", "source %q is revoked; register it again", src.Name)
		}
		if err := tx.QueryRow(ctx, `SELECT token_hash FROM sources WHERE id = ?`, id).Scan(&oldHash); err != nil {
			return err
		}
		secret := auth.NewSecret(TokenPrefix)
		now := s.now().UTC()
		src.Token, src.Prefix, src.TokenAt = secret, auth.DisplayPrefix(secret), now
		if _, err := tx.Exec(ctx, `UPDATE sources SET token_hash = ?, prefix = ?, token_at = ? WHERE id = ?`, auth.HashSecret(secret), src.Prefix, store.Micros(now), id); err != nil {
			return fmt.Errorf("sources: rotate %d: %w", id, err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "source.rotate", ObjectType: "source", ObjectID: strconv.FormatInt(id, 10), UnitID: src.UnitID,
			After: map[string]any{"name": src.Name, "prefix": src.Prefix}})
	})
	if err != nil {
		return nil, err
	}
	s.forget(oldHash)
	return src, nil
}

func (s *Service) unitInScope(ctx context.Context, p *auth.Principal, code string, notFound error) (id int64, path, name string, err error) {
	err = s.DB.QueryRow(ctx, `SELECT id, path, name FROM units WHERE code = ?`, code).Scan(&id, &path, &name)
	if err := p.CheckRead(err, func() string { return path }, notFound); err != nil {
		return 0, "", "", fmt.Errorf("sources: unit %s: %w", code, err)
	}
	return id, path, name, nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errs.Invalid("name", "is required")
	case len(name) > MaxNameLen:
		return "", errs.Invalid("name", "must be at most %d bytes", MaxNameLen)
	}
	return name, nil
}

func checkKind(kind string) error {
	if !slices.Contains(Kinds, kind) {
		return errs.Invalid("kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	return nil
}

func checkInterval(m int) error {
	if m < 1 || m > MaxInterval {
		return errs.Invalid("interval_minutes", "must be from 1 to %d minutes", MaxInterval)
	}
	return nil
}

func nameKey(name string) string { return i18n.Fold(strings.TrimSpace(name)) }

// ParseSenders checks and normalises sender addresses: IPv4 or IPv6
// addresses and CIDR prefixes, returned as prefixes ("192.0.2.7/32"
// for an address) without duplicates.
func ParseSenders(in []string) ([]string, error) {
	out := []string{}
	for _, raw := range in {
		for _, v := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == ';' }) {
			pf, err := parseSender(v)
			if err != nil {
				return nil, errs.Invalid("senders", "%q is not an IP address or a CIDR prefix", v)
			}
			if !slices.Contains(out, pf.String()) {
				out = append(out, pf.String())
			}
		}
	}
	if len(out) > MaxSenders {
		return nil, errs.Invalid("senders", "at most %d addresses or prefixes", MaxSenders)
	}
	return out, nil
}

func parseSender(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		pf, err := netip.ParsePrefix(v)
		if err != nil {
			return pf, err
		}
		if pf.Addr().Is4In6() {
			pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
		}
		return pf.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// checkSendersFree refuses addresses another active source already
// claims exactly (overlapping prefixes are allowed: the most specific
// wins).
func (s *Service) checkSendersFree(ctx context.Context, tx *store.Tx, self int64, senders []string) error {
	if len(senders) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, senders FROM sources WHERE revoked_at = 0 AND senders <> '' AND id <> ?`, self)
	if err != nil {
		return fmt.Errorf("sources: senders in use: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var list string
		if err := rows.Scan(&id, &list); err != nil {
			return err
		}
		for _, v := range strings.Split(list, ",") {
			if slices.Contains(senders, v) {
				return errs.Conflict("senders", "%s is already the address of another source", v)
			}
		}
	}
	return rows.Err()
}
