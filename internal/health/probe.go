package health

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Probe kinds.
const (
	KindTCP   = "tcp"
	KindHTTPS = "https"
)

// Probe states.
const (
	StateUp      = "up"
	StateDown    = "down"
	StateUnknown = "unknown" // never checked, disabled, or no check lately
)

// Probe checks a target on its interval: a TCP connection (optionally
// reading a banner) or an HTTPS request (a status, optionally a body
// substring and a pinned certificate).
type Probe struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Kind            string `json:"kind"`
	Target          string `json:"target"`
	IntervalSeconds int    `json:"interval_seconds"`
	TimeoutSeconds  int    `json:"timeout_seconds"`
	WantStatus      int    `json:"want_status,omitempty"`
	WantBody        string `json:"want_body,omitempty"`
	// WantFingerprint is the SHA-256 of the server's certificate (hex):
	// the certificate is pinned and no authority is asked.
	WantFingerprint  string    `json:"want_fingerprint,omitempty"`
	WantBanner       string    `json:"want_banner,omitempty"`
	DownAfterSeconds int       `json:"down_after_seconds"`
	Enabled          bool      `json:"enabled"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`

	State       string    `json:"state"`
	LastAt      time.Time `json:"last_at,omitzero"`
	LastOK      bool      `json:"last_ok"`
	LastLatency float64   `json:"last_latency_ms"`
	LastErrKind string    `json:"last_error_kind,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	DownSince   time.Time `json:"down_since,omitzero"`

	nextAt int64
}

// Interval is the probe's period.
func (p *Probe) Interval() time.Duration { return time.Duration(p.IntervalSeconds) * time.Second }

// Timeout is how long one check may take.
func (p *Probe) Timeout() time.Duration { return time.Duration(p.TimeoutSeconds) * time.Second }

// DownAfter is how long the probe fails before an alert.
func (p *Probe) DownAfter() time.Duration { return time.Duration(p.DownAfterSeconds) * time.Second }

// ProbeInput creates or changes a probe; on a change, nil fields keep
// their value.
type ProbeInput struct {
	Name             *string `json:"name"`
	Kind             *string `json:"kind"`
	Target           *string `json:"target"`
	IntervalSeconds  *int    `json:"interval_seconds"`
	TimeoutSeconds   *int    `json:"timeout_seconds"`
	WantStatus       *int    `json:"want_status"`
	WantBody         *string `json:"want_body"`
	WantFingerprint  *string `json:"want_fingerprint"`
	WantBanner       *string `json:"want_banner"`
	DownAfterSeconds *int    `json:"down_after_seconds"`
	Enabled          *bool   `json:"enabled"`
}

// Limits of a probe's settings.
const (
	MinInterval  = 10            // seconds
	MaxInterval  = 3600          // seconds: a check vouches for one hour at most
	MaxTimeout   = 60            // seconds
	MaxDownAfter = 7 * 24 * 3600 // seconds
)

// apply sets p's fields from in and checks the result.
func (in *ProbeInput) apply(p *Probe) error {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	num := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	str(&p.Name, in.Name)
	str(&p.Kind, in.Kind)
	str(&p.Target, in.Target)
	num(&p.IntervalSeconds, in.IntervalSeconds)
	num(&p.TimeoutSeconds, in.TimeoutSeconds)
	num(&p.WantStatus, in.WantStatus)
	if in.WantBody != nil {
		p.WantBody = *in.WantBody // spaces may matter
	}
	str(&p.WantFingerprint, in.WantFingerprint)
	if in.WantBanner != nil {
		p.WantBanner = *in.WantBanner
	}
	num(&p.DownAfterSeconds, in.DownAfterSeconds)
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	return p.normalise()
}

// normalise fills defaults and validates, field by field.
func (p *Probe) normalise() error {
	if p.Name == "" {
		return errs.Invalid("name", "is required")
	}
	if len(p.Name) > 200 {
		return errs.Invalid("name", "must be at most 200 bytes")
	}
	p.Kind = strings.ToLower(p.Kind)
	switch p.Kind {
	case KindTCP:
		host, port, err := net.SplitHostPort(p.Target)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return errs.Invalid("target", "must be host:port")
		}
		if p.WantStatus != 0 || p.WantBody != "" || p.WantFingerprint != "" {
			return errs.Invalid("kind", "a TCP probe checks a banner, not a status, a body or a certificate")
		}
	case KindHTTPS:
		u, err := url.Parse(p.Target)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return errs.Invalid("target", "must be an https:// address")
		}
		if p.WantBanner != "" {
			return errs.Invalid("kind", "an HTTPS probe checks a status, a body and a certificate, not a banner")
		}
		if p.WantStatus == 0 {
			p.WantStatus = 200
		}
		if p.WantStatus < 100 || p.WantStatus > 599 {
			return errs.Invalid("want_status", "must be an HTTP status from 100 to 599")
		}
	default:
		return errs.Invalid("kind", "must be one of %s", "tcp, https")
	}
	if len(p.Target) > 500 {
		return errs.Invalid("target", "must be at most 500 bytes")
	}
	if len(p.WantBody) > 200 || len(p.WantBanner) > 200 {
		field := "want_body"
		if len(p.WantBanner) > 200 {
			field = "want_banner"
		}
		return errs.Invalid(field, "must be at most 200 bytes")
	}
	if p.WantFingerprint != "" {
		fp := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(p.WantFingerprint))
		if b, err := hex.DecodeString(fp); err != nil || len(b) != 32 {
			return errs.Invalid("want_fingerprint", "must be a SHA-256 fingerprint: 64 hexadecimal digits")
		}
		p.WantFingerprint = fp
	}
	if p.IntervalSeconds == 0 {
		p.IntervalSeconds = 60
	}
	if p.IntervalSeconds < MinInterval || p.IntervalSeconds > MaxInterval {
		return errs.Invalid("interval_seconds", "must be from %d seconds to %d minutes", MinInterval, MaxInterval/60)
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = min(10, p.IntervalSeconds/2)
	}
	if p.TimeoutSeconds < 1 || p.TimeoutSeconds > MaxTimeout || p.TimeoutSeconds >= p.IntervalSeconds {
		return errs.Invalid("timeout_seconds", "must be from 1 to %d seconds and shorter than the interval", MaxTimeout)
	}
	if p.DownAfterSeconds == 0 {
		p.DownAfterSeconds = max(300, 2*p.IntervalSeconds)
	}
	if p.DownAfterSeconds < p.IntervalSeconds || p.DownAfterSeconds > MaxDownAfter {
		return errs.Invalid("down_after_seconds", "must be at least the interval and at most %d days", MaxDownAfter/86400)
	}
	return nil
}

// requireAdmin: probes reach out of the hub to any address, so only
// administrators set them.
func requireAdmin(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != auth.RoleAdmin || p.Via == "agent" {
		return nil, errs.Forbidden("only an administrator may change probes")
	}
	return p, nil
}

// requireReader: everyone signed in sees the probe (it is the hub's link,
// no unit's), agents do not.
func requireReader(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via == "agent" {
		return nil, errs.Forbidden("agent credentials may call only the agent API")
	}
	return p, nil
}

const probeCols = `SELECT id, name, kind, target, interval_s, timeout_s, want_status, want_body, want_fingerprint, want_banner, down_after_s,
	enabled, created_at, updated_at, next_at, last_at, last_ok, last_latency_us, last_error_kind, last_error, down_since`

func (s *Service) scanProbe(sc store.Scanner) (*Probe, error) {
	var p Probe
	var created, updated, last, lat, down int64
	if err := sc.Scan(&p.ID, &p.Name, &p.Kind, &p.Target, &p.IntervalSeconds, &p.TimeoutSeconds, &p.WantStatus, &p.WantBody, &p.WantFingerprint,
		&p.WantBanner, &p.DownAfterSeconds, &p.Enabled, &created, &updated, &p.nextAt, &last, &p.LastOK, &lat, &p.LastErrKind, &p.LastError, &down); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt, p.LastAt, p.DownSince = store.Time(created), store.Time(updated), store.Time(last), store.Time(down)
	p.LastLatency = float64(lat) / 1000
	p.State = probeState(&p, s.now())
	return &p, nil
}

// probeState: a probe is up or down by its last check, if that check is
// recent enough to speak for now (two intervals and its timeout).
func probeState(p *Probe, now time.Time) string {
	if !p.Enabled || p.LastAt.IsZero() || now.Sub(p.LastAt) > 2*p.Interval()+p.Timeout() {
		return StateUnknown
	}
	if p.LastOK {
		return StateUp
	}
	return StateDown
}

// ProbeSorts are the columns a list of probes sorts by.
var ProbeSorts = map[string]string{"name": "name", "state": "last_ok", "last": "last_at"}

// ProbeSortKeys lists the keys of ProbeSorts.
var ProbeSortKeys = []string{"name", "state", "last"}

// ProbeFilter selects probes.
type ProbeFilter struct {
	Sort   string
	Desc   bool
	Offset int
	Limit  int
}

// ListProbes returns a page of probes and how many there are.
func (s *Service) ListProbes(ctx context.Context, f ProbeFilter) ([]*Probe, int, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, 0, err
	}
	l := store.NewList("id", f.Limit, 100)
	if f.Sort != "" {
		expr, ok := ProbeSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(ProbeSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, probeCols, ` FROM health_probes`, s.scanProbe)
	if err != nil {
		return nil, 0, fmt.Errorf("health: list probes: %w", err)
	}
	return out, total, nil
}

// GetProbe returns one probe.
func (s *Service) GetProbe(ctx context.Context, id int64) (*Probe, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	return s.probe(ctx, s.DB, id)
}

type queryRower interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Service) probe(ctx context.Context, db queryRower, id int64) (*Probe, error) {
	p, err := s.scanProbe(db.QueryRow(ctx, probeCols+` FROM health_probes WHERE id = ?`, id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("probe " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("health: probe %d: %w", id, err)
	}
	return p, nil
}

// probeAudit is what the audit log keeps of a probe.
func probeAudit(p *Probe) map[string]any {
	m := map[string]any{"name": p.Name, "probe_kind": p.Kind, "probe_target": p.Target, "interval_seconds": p.IntervalSeconds,
		"timeout_seconds": p.TimeoutSeconds, "down_after_seconds": p.DownAfterSeconds, "enabled": p.Enabled}
	if p.WantStatus != 0 {
		m["want_status"] = p.WantStatus
	}
	if p.WantBody != "" {
		m["want_body"] = p.WantBody
	}
	if p.WantFingerprint != "" {
		m["want_fingerprint"] = p.WantFingerprint
	}
	if p.WantBanner != "" {
		m["want_banner"] = p.WantBanner
	}
	return m
}

func uniqueName(err error, name string) error {
	if err != nil && store.IsUniqueViolation(err) {
		return errs.Conflict("name", "a probe named %q already exists", name)
	}
	return err
}

// CreateProbe adds a probe (administrators only); it runs at once.
func (s *Service) CreateProbe(ctx context.Context, in ProbeInput) (*Probe, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	p := &Probe{Enabled: true}
	if err := in.apply(p); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p.CreatedAt, p.UpdatedAt = now, now
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO health_probes (name, kind, target, interval_s, timeout_s, want_status, want_body, want_fingerprint, want_banner,
			down_after_s, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Name, p.Kind, p.Target, p.IntervalSeconds, p.TimeoutSeconds, p.WantStatus, p.WantBody, p.WantFingerprint, p.WantBanner,
			p.DownAfterSeconds, p.Enabled, store.Micros(now), store.Micros(now)).Scan(&p.ID); err != nil {
			return uniqueName(err, p.Name)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "probe.create", ObjectType: "probe", ObjectID: strconv.FormatInt(p.ID, 10), After: probeAudit(p)})
	})
	if err != nil {
		return nil, err
	}
	p.State = StateUnknown
	return p, nil
}

// UpdateProbe changes a probe (administrators only). A changed target or
// expectation is checked afresh at once.
func (s *Service) UpdateProbe(ctx context.Context, id int64, in ProbeInput) (*Probe, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var out *Probe
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.probe(ctx, tx, id)
		if err != nil {
			return err
		}
		before := probeAudit(p)
		if err := in.apply(p); err != nil {
			return err
		}
		p.UpdatedAt = s.now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE health_probes SET name = ?, kind = ?, target = ?, interval_s = ?, timeout_s = ?, want_status = ?, want_body = ?,
			want_fingerprint = ?, want_banner = ?, down_after_s = ?, enabled = ?, updated_at = ?, next_at = 0 WHERE id = ?`,
			p.Name, p.Kind, p.Target, p.IntervalSeconds, p.TimeoutSeconds, p.WantStatus, p.WantBody, p.WantFingerprint, p.WantBanner,
			p.DownAfterSeconds, p.Enabled, store.Micros(p.UpdatedAt), id); err != nil {
			return uniqueName(err, p.Name)
		}
		out = p
		return audit.Append(ctx, tx, audit.Entry{Action: "probe.update", ObjectType: "probe", ObjectID: strconv.FormatInt(id, 10), Before: before, After: probeAudit(p)})
	})
	if err != nil {
		return nil, err
	}
	out.State = probeState(out, s.now())
	return out, nil
}

// DeleteProbe removes a probe and its history (administrators only).
func (s *Service) DeleteProbe(ctx context.Context, id int64) error {
	if _, err := requireAdmin(ctx); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.probe(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM health_probe_results WHERE probe_id = ?`, `DELETE FROM health_probe_hours WHERE probe_id = ?`,
			`DELETE FROM health_probes WHERE id = ?`} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("health: delete probe %d: %w", id, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE health_episodes SET ended_at = ?, detail = 'probe deleted' WHERE kind = 'probe' AND subject = ? AND ended_at = 0`,
			store.Now(), strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "probe.delete", ObjectType: "probe", ObjectID: strconv.FormatInt(id, 10), Before: probeAudit(p)})
	})
}
