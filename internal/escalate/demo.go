package escalate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/store"
)

// LoadDemo gives the demo organisation its escalation: the policy
// for the whole organisation (15 minutes to the unit's person on duty, 10
// more to the SOC analyst, 5 more to the SOC lead, then the SOC's shared
// mailbox), a stricter one for Hà Nội (T01), a mailbox and a webhook, and
// the notifications of a few demo alerts — delivered, and one webhook that
// failed — so the log has something to show. officers maps a unit code to
// its demo officer's e-mail; soc is the SOC analyst's. It does nothing when
// a policy exists, and returns how many policies it made.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string, soc string) (int, error) {
	sys := auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(sys, `SELECT COUNT(*) FROM escalation_policies`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	socUnit := ""
	if _, err := unitByCode(sys, s.DB, "TTCNTT"); err == nil {
		socUnit = "TTCNTT"
	}
	mailbox, err := s.CreateChannel(sys, ChannelInput{Unit: org.RootCode, Name: "Hộp thư trực ban SOC", Kind: KindEmail, Target: "truc.soc@demo.vigil.local"})
	if err != nil {
		return 0, fmt.Errorf("escalate: demo mailbox: %w", err)
	}
	siem, err := s.CreateChannel(sys, ChannelInput{Unit: org.RootCode, Name: "SIEM trung tâm", Kind: KindWebhook,
		Target: "https://siem.demo.vigil.local/hooks/vigil", Secret: "demo-webhook-secret-not-for-real-use"})
	if err != nil {
		return 0, fmt.Errorf("escalate: demo webhook: %w", err)
	}
	policies := []PolicyInput{{Unit: org.RootCode, Name: "Mặc định: cảnh báo mức cao chưa được xác nhận", MinSeverity: "high", SOCUnit: socUnit,
		Steps: []StepInput{{DelayMinutes: 15, Target: TargetUnitDuty}, {DelayMinutes: 10, Target: TargetSOCDuty}, {DelayMinutes: 5, Target: TargetSOCLead},
			{DelayMinutes: 0, Target: TargetChannel, Channel: mailbox.ID}, {DelayMinutes: 0, Target: TargetChannel, Channel: siem.ID}}}}
	if _, err := unitByCode(sys, s.DB, "T01"); err == nil && soc != "" {
		policies = append(policies, PolicyInput{Unit: "T01", Name: "Hà Nội: cảnh báo nghiêm trọng báo ngay", MinSeverity: "critical", SOCUnit: socUnit,
			Steps: []StepInput{{DelayMinutes: 5, Target: TargetUnitDuty}, {DelayMinutes: 5, Target: TargetUser, User: soc}, {DelayMinutes: 5, Target: TargetSOCLead}}})
	}
	var made []*Policy
	for _, in := range policies {
		p, err := s.CreatePolicy(sys, in)
		if err != nil {
			return len(made), fmt.Errorf("escalate: demo policy %q: %w", in.Name, err)
		}
		made = append(made, p)
	}
	if s.Alerts == nil {
		return len(made), nil
	}
	// The log: the first steps of a few demo alerts.
	alerts, err := s.Alerts.Unacknowledged(sys, "high", 0, 0, 20)
	if err != nil {
		return len(made), err
	}
	pol := made[0]
	full, err := s.getPolicy(sys, s.DB, auth.System, pol.ID)
	if err != nil {
		return len(made), err
	}
	enabled, err := s.enabledPolicies(sys)
	if err != nil {
		return len(made), err
	}
	shown := 0
	for i := range alerts {
		a := &alerts[i]
		u, err := unitByID(sys, s.DB, a.UnitID)
		if err != nil {
			return len(made), err
		}
		if p := policyFor(enabled, u.Path, a.Severity); p == nil || p.ID != pol.ID || shown == 3 {
			continue
		}
		shown++
		raised := a.Raised
		if raised.IsZero() {
			raised = a.FirstSeen
		}
		officer := officers[u.Code]
		if province, _, ok := strings.Cut(u.Code, "-"); ok && officer == "" {
			officer = officers[province] // a district's alert: its province's officer
		}
		if officer == "" {
			officer = soc
		}
		rows := []struct {
			step             int
			target, key, who string
			channel          int64
			kind, address    string
			status, lastErr  string
			attempts         int
		}{
			{0, TargetUnitDuty, "email:" + officer, officer, 0, KindEmail, officer, StatusDelivered, "", 1},
			{1, TargetSOCDuty, "email:" + soc, soc, 0, KindEmail, soc, StatusDelivered, "", 1},
		}
		if shown == 1 {
			rows = append(rows, struct {
				step             int
				target, key, who string
				channel          int64
				kind, address    string
				status, lastErr  string
				attempts         int
			}{4, TargetChannel, "channel:" + strconv.FormatInt(siem.ID, 10), siem.Name, siem.ID, KindWebhook, siem.Target, StatusFailed,
				"webhook: HTTP 503 Service Unavailable", 8})
		}
		err = s.DB.InTx(sys, func(tx *store.Tx) error {
			for _, r := range rows {
				at := raised.Add(s.offsets(full)[r.step])
				if _, err := tx.Exec(sys, `INSERT INTO escalation_steps (alert_id, policy_id, step, reached_at, holder) VALUES (?, ?, ?, ?, 'demo') ON CONFLICT DO NOTHING`,
					a.ID, pol.ID, r.step, store.Micros(at)); err != nil {
					return err
				}
				m := s.escalationMessage("vi", a, u, full, r.step, at.Sub(raised))
				payload, delivered := "", int64(0)
				if r.kind == KindWebhook {
					payload = string(m.Payload)
				}
				if r.status == StatusDelivered {
					delivered = store.Micros(at.Add(2 * time.Second))
				}
				if _, err := tx.Exec(sys, `INSERT INTO notifications (alert_id, policy_id, step, target, recipient_key, recipient, channel_id, kind, address, unit_id,
					alert_title, severity, host, lang, subject, body, payload, status, attempts, last_error, delivered_at, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'vi', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					a.ID, pol.ID, r.step+1, r.target, r.key, r.who, r.channel, r.kind, r.address, a.UnitID, i18n.Clip(a.Title, 500), a.Severity, i18n.Clip(a.Host, 300),
					m.Subject, m.Body, payload, r.status, r.attempts, r.lastErr, delivered, store.Micros(at), store.Micros(at)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return len(made), fmt.Errorf("escalate: demo notifications: %w", err)
		}
	}
	return len(made), nil
}
