package escalate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// enabledPolicies reads every enabled policy with its unit's path.
func (s *Service) enabledPolicies(ctx context.Context) ([]*Policy, error) {
	rows, err := s.DB.Query(ctx, policyColumns+policyFrom+` WHERE NOT ep.disabled ORDER BY ep.id`)
	if err != nil {
		return nil, fmt.Errorf("escalate: policies: %w", err)
	}
	defer rows.Close()
	var out []*Policy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		if len(p.stored) > 0 {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// policyFor picks the policy of an alert of severity sev in the unit at
// path: the nearest unit's (deepest path), the oldest among one unit's.
func policyFor(policies []*Policy, path, sev string) *Policy {
	var best *Policy
	for _, p := range policies {
		if !strings.HasPrefix(path, p.unitPath) || !AtLeast(sev, p.MinSeverity) {
			continue
		}
		if best == nil || len(p.unitPath) > len(best.unitPath) {
			best = p
		}
	}
	return best
}

// offsets are the steps' times after the alert was raised.
func (s *Service) offsets(p *Policy) []time.Duration {
	out := make([]time.Duration, len(p.stored))
	var sum time.Duration
	for i, st := range p.stored {
		sum += time.Duration(st.Delay) * s.minute()
		out[i] = sum
	}
	return out
}

// Escalate reaches every due step of every unacknowledged alert: it
// records the step and a notification per recipient (delivered by
// Deliver). It returns how many notifications it made.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	if s.Alerts == nil {
		return 0, nil
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	policies, err := s.enabledPolicies(ctx)
	if err != nil || len(policies) == 0 {
		return 0, err
	}
	now := s.now()
	minSev, first := "critical", time.Duration(1<<62)
	for _, p := range policies {
		if severityRank(p.MinSeverity) < severityRank(minSev) {
			minSev = p.MinSeverity
		}
		first = min(first, s.offsets(p)[0])
	}
	// A page at a time, through every unacknowledged alert: a flood of old
	// ones (their steps all reached) must not hide a new critical one.
	units := map[int64]*unitRef{}
	made := 0
	unackPage := s.UnackPage
	if unackPage <= 0 {
		unackPage = 2000
	}
	for after := int64(0); ; {
		alerts, err := s.Alerts.Unacknowledged(ctx, minSev, first, after, unackPage)
		if err != nil {
			return made, fmt.Errorf("escalate: unacknowledged alerts: %w", err)
		}
		n, err := s.escalatePage(ctx, alerts, policies, units, now)
		made += n
		if err != nil {
			return made, err
		}
		if len(alerts) < unackPage {
			break
		}
		after = alerts[len(alerts)-1].ID
	}
	if made > 0 {
		s.Kick()
	}
	return made, nil
}

// escalatePage reaches the due steps of one page of alerts.
func (s *Service) escalatePage(ctx context.Context, alerts []Alert, policies []*Policy, units map[int64]*unitRef, now time.Time) (int, error) {
	var err error
	type job struct {
		a   *Alert
		u   *unitRef
		pol *Policy
	}
	var jobs []job
	var ids []int64
	for i := range alerts {
		a := &alerts[i]
		u, ok := units[a.UnitID]
		if !ok {
			if u, err = unitByID(ctx, s.DB, a.UnitID); err != nil {
				if store.IsNoRows(err) {
					continue
				}
				return 0, fmt.Errorf("escalate: unit of alert %d: %w", a.ID, err)
			}
			units[a.UnitID] = u
		}
		if pol := policyFor(policies, u.Path, a.Severity); pol != nil {
			jobs = append(jobs, job{a, u, pol})
			ids = append(ids, a.ID)
		}
	}
	reachedAll, err := s.reachedSteps(ctx, ids)
	if err != nil {
		return 0, err
	}
	made := 0
	for _, j := range jobs {
		a, u, pol := j.a, j.u, j.pol
		reached := reachedAll[[2]int64{a.ID, pol.ID}]
		raised := a.Raised
		if raised.IsZero() {
			raised = a.FirstSeen
		}
		for step, off := range s.offsets(pol) {
			if reached[step] || raised.Add(off).After(now) {
				continue
			}
			n, err := s.reach(ctx, a, u, pol, step, now)
			if err != nil {
				return made, err
			}
			made += n
		}
	}
	return made, nil
}

// reachedSteps reads the steps the alerts of ids have reached, by
// (alert, policy), a few hundred alerts a query.
func (s *Service) reachedSteps(ctx context.Context, ids []int64) (map[[2]int64]map[int]bool, error) {
	out := map[[2]int64]map[int]bool{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.DB.Query(ctx, `SELECT alert_id, policy_id, step FROM escalation_steps WHERE alert_id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("escalate: steps reached: %w", err)
		}
		for rows.Next() {
			var alert, policy int64
			var step int
			if err := rows.Scan(&alert, &policy, &step); err != nil {
				rows.Close()
				return nil, err
			}
			k := [2]int64{alert, policy}
			if out[k] == nil {
				out[k] = map[int]bool{}
			}
			out[k][step] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// recipient is one addressee of a step, or (reason set) the record that
// the step found nobody.
type recipient struct {
	target    string
	key       string // identity within the step, for the unique index
	display   string
	userID    int64
	channelID int64
	kind      string
	address   string
	lang      string
	reason    string // why nobody could be told; the notification fails at once
}

// reach claims step of alert a under pol and records its notifications;
// another hub that claimed it first makes this a no-op.
func (s *Service) reach(ctx context.Context, a *Alert, u *unitRef, pol *Policy, step int, now time.Time) (int, error) {
	// Who is told is decided before the transaction: the duty roster is
	// another capability's, read through the database pool.
	rcpts, err := s.recipients(ctx, u, pol, pol.stored[step], now)
	if err != nil {
		return 0, err
	}
	raised := a.Raised
	if raised.IsZero() {
		raised = a.FirstSeen
	}
	waited := now.Sub(raised)
	msgs := map[string]message{}
	made, claimed := 0, false
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		made, claimed = 0, false
		res, err := tx.Exec(ctx, `INSERT INTO escalation_steps (alert_id, policy_id, step, reached_at, holder) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			a.ID, pol.ID, step, store.Micros(now), s.holder())
		if err != nil {
			return fmt.Errorf("escalate: claim step: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		claimed = true
		for _, r := range rcpts {
			m, ok := msgs[r.lang]
			if !ok {
				m = s.escalationMessage(r.lang, a, u, pol, step, waited)
				msgs[r.lang] = m
			}
			status, lastErr := StatusPending, ""
			if r.reason != "" {
				status, lastErr = StatusFailed, r.reason
			}
			payload := ""
			if r.kind == KindWebhook {
				payload = string(m.Payload)
			}
			res, err := tx.Exec(ctx, `INSERT INTO notifications (alert_id, policy_id, step, target, recipient_key, recipient, user_id, channel_id, kind, address, unit_id,
				alert_title, severity, host, lang, subject, body, payload, status, next_attempt_at, last_error, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				a.ID, pol.ID, step+1, r.target, r.key, i18n.Clip(r.display, 300), r.userID, r.channelID, r.kind, i18n.Clip(r.address, 2000), a.UnitID,
				i18n.Clip(a.Title, 500), a.Severity, i18n.Clip(a.Host, 300), r.lang, m.Subject, m.Body, payload, status, store.Micros(now), lastErr,
				store.Micros(now), store.Micros(now))
			if err != nil {
				return fmt.Errorf("escalate: record notification: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 && r.reason == "" {
				made++
			}
		}
		return nil
	})
	if err == nil && claimed {
		s.countStep(pol.stored[step].Target)
	}
	return made, err
}

// unitChain is the unit at path and the units above it, nearest first.
func unitChain(path string) []int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	out := make([]int64, 0, len(parts))
	for i := len(parts) - 1; i >= 0; i-- {
		if id, err := strconv.ParseInt(parts[i], 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// recipients resolves a step's target at now.
func (s *Service) recipients(ctx context.Context, u *unitRef, pol *Policy, st storedStep, now time.Time) ([]recipient, error) {
	none := func(format string, args ...any) []recipient {
		return []recipient{{target: st.Target, key: "none", display: "—", kind: KindEmail, lang: "vi", reason: fmt.Sprintf(format, args...)}}
	}
	people := func(ps []Person) []recipient {
		var out []recipient
		for _, p := range ps {
			if p.Email == "" {
				continue
			}
			key := "user:" + strconv.FormatInt(p.UserID, 10)
			if p.UserID == 0 {
				key = "email:" + strings.ToLower(p.Email)
			}
			display := p.Email
			if p.Name != "" {
				display = p.Name + " <" + p.Email + ">"
			}
			out = append(out, recipient{target: st.Target, key: key, display: display, userID: p.UserID, kind: KindEmail, address: p.Email, lang: "vi"})
		}
		return out
	}
	switch st.Target {
	case TargetUnitDuty:
		if s.OnDuty == nil {
			return none("the duty roster is not connected to escalation"), nil
		}
		for _, id := range unitChain(u.Path) {
			ps, err := s.OnDuty(ctx, id, now)
			if err != nil {
				return nil, fmt.Errorf("escalate: who is on duty for unit %d: %w", id, err)
			}
			if r := people(ps); len(r) > 0 {
				return r, nil
			}
		}
		return none("nobody is on duty for unit %s or the units above it", u.Code), nil
	case TargetSOCDuty, TargetSOCLead:
		socID, socCode := pol.socUnitID, pol.SOCUnit
		if socID == 0 && s.SOCUnit != nil {
			var err error
			if socID, socCode, err = s.SOCUnit(ctx); err != nil {
				return nil, fmt.Errorf("escalate: the SOC unit: %w", err)
			}
		}
		if socID == 0 {
			return none("no SOC unit is named, in the policy or in the duty settings"), nil
		}
		if s.OnDuty == nil {
			return none("the duty roster is not connected to escalation"), nil
		}
		ps, err := s.OnDuty(ctx, socID, now)
		if err != nil {
			return nil, fmt.Errorf("escalate: who is on duty at the SOC: %w", err)
		}
		var leads, others []Person
		for _, p := range ps {
			if p.Lead {
				leads = append(leads, p)
			} else {
				others = append(others, p)
			}
		}
		if st.Target == TargetSOCLead {
			if r := people(leads); len(r) > 0 {
				return r, nil
			}
			return none("no lead is on duty at the SOC (%s)", socCode), nil
		}
		if len(others) == 0 {
			others = leads
		}
		if r := people(others); len(r) > 0 {
			return r, nil
		}
		return none("nobody is on duty at the SOC (%s)", socCode), nil
	case TargetUser:
		var email, name string
		var disabled bool
		err := s.DB.QueryRow(ctx, `SELECT email, name, disabled FROM users WHERE id = ?`, st.UserID).Scan(&email, &name, &disabled)
		if store.IsNoRows(err) {
			return none("the user of this step no longer exists"), nil
		}
		if err != nil {
			return nil, fmt.Errorf("escalate: step user: %w", err)
		}
		if disabled {
			return none("user %s is disabled", email), nil
		}
		return people([]Person{{UserID: st.UserID, Email: email, Name: name}}), nil
	case TargetChannel:
		c, err := s.getChannel(ctx, s.DB, st.ChannelID)
		if store.IsNoRows(err) {
			return none("the channel of this step no longer exists"), nil
		}
		if err != nil {
			return nil, fmt.Errorf("escalate: step channel: %w", err)
		}
		r := recipient{target: st.Target, key: "channel:" + strconv.FormatInt(c.ID, 10), display: c.Name, channelID: c.ID, kind: c.Kind, address: c.Target, lang: c.Lang}
		if c.Disabled {
			r.reason = "the channel is disabled"
		}
		return []recipient{r}, nil
	}
	return none("unknown step target %q", st.Target), nil
}
