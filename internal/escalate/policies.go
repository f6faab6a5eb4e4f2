package escalate

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Policy says who is told about an unacknowledged alert of its unit's
// subtree, of MinSeverity or above, and when. When several policies cover
// an alert's unit, the one of the nearest unit applies (a province's own
// policy overrides the organisation's default); among policies of one
// unit, the oldest.
type Policy struct {
	ID          int64     `json:"id"`
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	Name        string    `json:"name"`
	MinSeverity string    `json:"min_severity"`
	SOCUnit     string    `json:"soc_unit,omitempty"`
	SOCUnitName string    `json:"soc_unit_name,omitempty"`
	Steps       []Step    `json:"steps"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	unitID    int64
	unitPath  string
	socUnitID int64
	stored    []storedStep
}

// UnitPath is the path of the policy's unit, for scope checks.
func (p *Policy) UnitPath() string { return p.unitPath }

// Step is one step of a policy: DelayMinutes after the previous step (after
// the alert was raised, for the first), tell Target.
type Step struct {
	DelayMinutes int    `json:"delay_minutes"`
	Target       string `json:"target"`
	// User is the e-mail of the named user (target user).
	User     string `json:"user,omitempty"`
	UserName string `json:"user_name,omitempty"`
	// Channel is the id of the channel (target channel).
	Channel     int64  `json:"channel,omitempty"`
	ChannelName string `json:"channel_name,omitempty"`
	ChannelKind string `json:"channel_kind,omitempty"`
}

// storedStep is a step as the steps column holds it.
type storedStep struct {
	Delay     int    `json:"delay"`
	Target    string `json:"target"`
	UserID    int64  `json:"user_id,omitempty"`
	ChannelID int64  `json:"channel_id,omitempty"`
}

// PolicyInput creates a policy or replaces one.
type PolicyInput struct {
	Unit        string      `json:"unit"`
	Name        string      `json:"name"`
	MinSeverity string      `json:"min_severity"`
	SOCUnit     string      `json:"soc_unit,omitempty"`
	Steps       []StepInput `json:"steps"`
	Disabled    bool        `json:"disabled,omitempty"`
}

// StepInput is one step of a PolicyInput.
type StepInput struct {
	DelayMinutes int    `json:"delay_minutes"`
	Target       string `json:"target"`
	User         string `json:"user,omitempty"`    // e-mail, for target user
	Channel      int64  `json:"channel,omitempty"` // channel id, for target channel
}

// MaxSteps and MaxDelayMinutes bound a policy.
const (
	MaxSteps        = 10
	MaxDelayMinutes = 7 * 24 * 60
)

// querier is a database or a transaction.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// unitRef is a unit as policies and channels refer to it.
type unitRef struct {
	ID         int64
	Code, Name string
	Path       string
}

func unitByCode(ctx context.Context, q querier, code string) (*unitRef, error) {
	var u unitRef
	err := q.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE code = ?`, code).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func unitByID(ctx context.Context, q querier, id int64) (*unitRef, error) {
	var u unitRef
	err := q.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE id = ?`, id).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// writableUnit resolves a unit the caller names in field and may change
// escalation of.
func writableUnit(ctx context.Context, q querier, p *auth.Principal, field, code string) (*unitRef, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, errs.Invalid(field, "is required")
	}
	u, err := unitByCode(ctx, q, code)
	if err := p.CheckRead(err, func() string { return u.Path }, errs.Invalid(field, "unit %q does not exist", code)); err != nil {
		return nil, err
	}
	if !p.CanWrite(u.Path) {
		return nil, errs.Forbidden("you may not manage escalation of unit %s", u.Code)
	}
	return u, nil
}

// validate checks in and resolves its references for the caller.
func (s *Service) validatePolicy(ctx context.Context, q querier, p *auth.Principal, in *PolicyInput) (*unitRef, *unitRef, []storedStep, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, nil, nil, errs.Invalid("name", "is required")
	}
	if len(in.Name) > 200 {
		return nil, nil, nil, errs.Invalid("name", "must be at most 200 bytes")
	}
	if !slices.Contains(Severities, in.MinSeverity) {
		return nil, nil, nil, errs.Invalid("min_severity", "must be one of %s", strings.Join(Severities, ", "))
	}
	unit, err := writableUnit(ctx, q, p, "unit", in.Unit)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(in.Steps) == 0 {
		return nil, nil, nil, errs.Invalid("steps", "a policy needs at least one step")
	}
	if len(in.Steps) > MaxSteps {
		return nil, nil, nil, errs.Invalid("steps", "a policy has at most %d steps", MaxSteps)
	}
	steps := make([]storedStep, 0, len(in.Steps))
	for i, st := range in.Steps {
		field := fmt.Sprintf("steps[%d]", i)
		if st.DelayMinutes < 0 || st.DelayMinutes > MaxDelayMinutes {
			return nil, nil, nil, errs.Invalid(field+".delay_minutes", "must be a number of minutes from 0 to %d", MaxDelayMinutes)
		}
		ss := storedStep{Delay: st.DelayMinutes, Target: st.Target}
		switch st.Target {
		case TargetUnitDuty:
		case TargetSOCDuty, TargetSOCLead:
		case TargetUser:
			email := strings.ToLower(strings.TrimSpace(st.User))
			var uid int64
			var role, path string
			var disabled bool
			err := q.QueryRow(ctx, `SELECT us.id, us.role, un.path, us.disabled FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
				Scan(&uid, &role, &path, &disabled)
			if err != nil && !store.IsNoRows(err) {
				return nil, nil, nil, fmt.Errorf("escalate: step user: %w", err)
			}
			// The user must be able to see the policy's unit (an officer may
			// name the SOC's analyst, as a finding's owner). The answer is
			// the same for an unknown e-mail, so it reveals no account.
			who := auth.Principal{Role: auth.Role(role), UnitPath: path, Via: "session"}
			if email == "" || err != nil || disabled || !who.CanRead(unit.Path) {
				return nil, nil, nil, errs.Invalid(field+".user", "%q is not an active user who can see unit %s", email, unit.Code)
			}
			ss.UserID = uid
		case TargetChannel:
			c, err := s.getChannel(ctx, q, st.Channel)
			if err := p.CheckRead(err, func() string { return c.unitPath }, errs.Invalid(field+".channel", "channel %d does not exist", st.Channel)); err != nil {
				return nil, nil, nil, err
			}
			ss.ChannelID = c.ID
		default:
			return nil, nil, nil, errs.Invalid(field+".target", "must be one of %s", strings.Join(Targets, ", "))
		}
		steps = append(steps, ss)
	}
	var soc *unitRef
	if in.SOCUnit = strings.TrimSpace(in.SOCUnit); in.SOCUnit != "" {
		// Without one, the SOC steps reach the hub's SOC unit (the duty
		// roster's setting).
		u, err := unitByCode(ctx, q, in.SOCUnit)
		if err := p.CheckRead(err, func() string { return u.Path }, errs.Invalid("soc_unit", "unit %q does not exist", in.SOCUnit)); err != nil {
			return nil, nil, nil, err
		}
		soc = u
	}
	return unit, soc, steps, nil
}

// CreatePolicy adds a policy, as the caller.
func (s *Service) CreatePolicy(ctx context.Context, in PolicyInput) (*Policy, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Policy
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		unit, soc, steps, err := s.validatePolicy(ctx, tx, p, &in)
		if err != nil {
			return err
		}
		stepsJSON, _ := json.Marshal(steps)
		now := store.Micros(s.now())
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO escalation_policies (unit_id, name, min_severity, soc_unit_id, steps, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, unit.ID, in.Name, in.MinSeverity, socID(soc), string(stepsJSON), in.Disabled, now, now).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "unit %s already has a policy named %q", unit.Code, in.Name)
		}
		if err != nil {
			return fmt.Errorf("escalate: create policy: %w", err)
		}
		if out, err = s.getPolicy(ctx, tx, p, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "escalation_policy.create", ObjectType: "escalation_policy", ObjectID: strconv.FormatInt(id, 10),
			UnitID: unit.ID, After: policySummary(out)})
	})
	return out, err
}

func socID(u *unitRef) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

// policySummary is what the audit log keeps of a policy.
func policySummary(p *Policy) map[string]any {
	steps := make([]map[string]any, len(p.Steps))
	for i, st := range p.Steps {
		step := map[string]any{"delay_minutes": st.DelayMinutes, "target": st.Target}
		switch st.Target {
		case TargetUser:
			step["user"] = st.User
		case TargetChannel:
			step["channel"] = st.ChannelName
		}
		steps[i] = step
	}
	return map[string]any{"name": p.Name, "unit": p.Unit, "min_severity": p.MinSeverity, "soc_unit": p.SOCUnit,
		"steps": steps, "disabled": p.Disabled}
}

// UpdatePolicy replaces a policy with in, as the caller.
func (s *Service) UpdatePolicy(ctx context.Context, id int64, in PolicyInput) (*Policy, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Policy
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.getPolicy(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.CanWrite(cur.unitPath) {
			return errs.Forbidden("you may not manage escalation of unit %s", cur.Unit)
		}
		unit, soc, steps, err := s.validatePolicy(ctx, tx, p, &in)
		if err != nil {
			return err
		}
		stepsJSON, _ := json.Marshal(steps)
		_, err = tx.Exec(ctx, `UPDATE escalation_policies SET unit_id = ?, name = ?, min_severity = ?, soc_unit_id = ?, steps = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			unit.ID, in.Name, in.MinSeverity, socID(soc), string(stepsJSON), in.Disabled, store.Micros(s.now()), id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "unit %s already has a policy named %q", unit.Code, in.Name)
		}
		if err != nil {
			return fmt.Errorf("escalate: update policy %d: %w", id, err)
		}
		if out, err = s.getPolicy(ctx, tx, p, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "escalation_policy.update", ObjectType: "escalation_policy", ObjectID: strconv.FormatInt(id, 10),
			UnitID: unit.ID, Before: policySummary(cur), After: policySummary(out)})
	})
	return out, err
}

// DeletePolicy removes a policy; notifications already made stay in the log.
func (s *Service) DeletePolicy(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.getPolicy(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.CanWrite(cur.unitPath) {
			return errs.Forbidden("you may not manage escalation of unit %s", cur.Unit)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM escalation_policies WHERE id = ?`, id); err != nil {
			return fmt.Errorf("escalate: delete policy %d: %w", id, err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "escalation_policy.delete", ObjectType: "escalation_policy", ObjectID: strconv.FormatInt(id, 10),
			UnitID: cur.unitID, Before: policySummary(cur)})
	})
}

// GetPolicy returns a policy in the caller's scope.
func (s *Service) GetPolicy(ctx context.Context, id int64) (*Policy, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.getPolicy(ctx, s.DB, p, id)
}

const policyColumns = `SELECT ep.id, ep.unit_id, u.code, u.name, u.path, ep.name, ep.min_severity, ep.soc_unit_id, COALESCE(su.code, ''), COALESCE(su.name, ''),
	ep.steps, ep.disabled, ep.created_at, ep.updated_at`

const policyFrom = ` FROM escalation_policies ep JOIN units u ON u.id = ep.unit_id LEFT JOIN units su ON su.id = ep.soc_unit_id`

func scanPolicy(sc store.Scanner) (*Policy, error) {
	var p Policy
	var steps string
	var created, updated int64
	if err := sc.Scan(&p.ID, &p.unitID, &p.Unit, &p.UnitName, &p.unitPath, &p.Name, &p.MinSeverity, &p.socUnitID, &p.SOCUnit, &p.SOCUnitName,
		&steps, &p.Disabled, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(steps), &p.stored); err != nil {
		return nil, fmt.Errorf("escalate: policy %d steps: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = store.Time(created), store.Time(updated)
	return &p, nil
}

// describe fills a policy's Steps from its stored steps.
func (s *Service) describe(ctx context.Context, q querier, p *Policy) error {
	p.Steps = make([]Step, 0, len(p.stored))
	for _, st := range p.stored {
		out := Step{DelayMinutes: st.Delay, Target: st.Target}
		if st.UserID != 0 {
			err := q.QueryRow(ctx, `SELECT email, name FROM users WHERE id = ?`, st.UserID).Scan(&out.User, &out.UserName)
			if err != nil && !store.IsNoRows(err) {
				return fmt.Errorf("escalate: policy %d step user: %w", p.ID, err)
			}
		}
		if st.ChannelID != 0 {
			out.Channel = st.ChannelID
			err := q.QueryRow(ctx, `SELECT name, kind FROM escalation_channels WHERE id = ?`, st.ChannelID).Scan(&out.ChannelName, &out.ChannelKind)
			if err != nil && !store.IsNoRows(err) {
				return fmt.Errorf("escalate: policy %d step channel: %w", p.ID, err)
			}
		}
		p.Steps = append(p.Steps, out)
	}
	return nil
}

func (s *Service) getPolicy(ctx context.Context, q querier, p *auth.Principal, id int64) (*Policy, error) {
	pol, err := scanPolicy(q.QueryRow(ctx, policyColumns+policyFrom+` WHERE ep.id = ?`, id))
	notFound := errs.NotFound("escalation policy " + strconv.FormatInt(id, 10))
	if err := p.CheckRead(err, func() string { return pol.unitPath }, notFound); err != nil {
		return nil, err
	}
	if err := s.describe(ctx, q, pol); err != nil {
		return nil, err
	}
	return pol, nil
}

// PolicyFilter selects policies.
type PolicyFilter struct {
	Unit   string // a unit code: policies of that unit's subtree
	Sort   string // a key of PolicySorts; "" is by unit then name
	Desc   bool
	Offset int
	Limit  int
}

// PolicySorts are the columns policies sort by.
var PolicySorts = map[string]string{
	"name":     "ep.name",
	"unit":     "u.code",
	"severity": "CASE ep.min_severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 ELSE 1 END",
	"updated":  "ep.updated_at",
}

// PolicySortKeys lists the keys of PolicySorts.
var PolicySortKeys = []string{"name", "unit", "severity", "updated"}

// ListPolicies returns a page of the policies in the caller's scope and
// how many there are.
func (s *Service) ListPolicies(ctx context.Context, f PolicyFilter) ([]*Policy, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("ep.id", f.Limit, 100).Scope(p, "u.path")
	if err := s.unitFilter(ctx, p, l, f.Unit); err != nil {
		return nil, 0, err
	}
	if f.Sort != "" {
		expr, ok := PolicySorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(PolicySortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	} else {
		l.OrderBy("u.path", false)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, policyColumns, policyFrom, scanPolicy)
	if err != nil {
		return nil, 0, fmt.Errorf("escalate: list policies: %w", err)
	}
	for _, pol := range out {
		if err := s.describe(ctx, s.DB, pol); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// unitFilter narrows l to the subtree of unit code (which the caller must
// see); "" leaves it alone.
func (s *Service) unitFilter(ctx context.Context, p *auth.Principal, l *store.List, code string) error {
	if code == "" {
		return nil
	}
	u, err := unitByCode(ctx, s.DB, code)
	if err := p.CheckRead(err, func() string { return u.Path }, errs.NotFound("unit "+strconv.Quote(code))); err != nil {
		return err
	}
	l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(u.Path))
	return nil
}
