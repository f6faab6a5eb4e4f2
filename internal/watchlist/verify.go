package watchlist

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/store"
)

// pending is a recorded action waiting for its verification.
type pending struct {
	actionID, findingID, hostID, unitID int64
	at                                  int64
	action                              string
	hostname                            string
	objects                             []pendingObject
}

type pendingObject struct {
	object, kind, value string
}

// Verify closes the warning-list findings whose recorded action a later
// observation confirms:
//
//   - a clean malware scan: an agent scan task of the host finished after
//     the action without a malware finding for the indicator (any action);
//   - an inventory that came in after the action and no longer shows what
//     was listed: the account removed or disabled, no process with the
//     hash, the address or the host name gone.
//
// The finding is resolved, what verified it kept with the action
// (Verification: the scan task or the inventory, and when), audited as
// the system.
// It returns how many it closed.
func (s *Service) Verify(ctx context.Context) (int, error) {
	rows, err := s.DB.Query(ctx, `SELECT a.id, a.finding_id, a.at, a.action, f.host_id, h.unit_id, h.hostname
		FROM watchlist_actions a JOIN findings f ON f.id = a.finding_id JOIN hosts h ON h.id = f.host_id
		WHERE a.verified_at = 0 AND f.kind = 'warning_list' AND f.status = 'in_progress'
		  AND a.id = (SELECT MAX(b.id) FROM watchlist_actions b WHERE b.finding_id = a.finding_id)
		ORDER BY a.id LIMIT 1000`)
	if err != nil {
		return 0, fmt.Errorf("watchlist: verify: %w", err)
	}
	var todo []*pending
	for rows.Next() {
		p := &pending{}
		if err := rows.Scan(&p.actionID, &p.findingID, &p.at, &p.action, &p.hostID, &p.unitID, &p.hostname); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	closed := 0
	for _, p := range todo {
		if err := s.objectsOf(ctx, p); err != nil {
			return closed, err
		}
		how, err := s.confirmation(ctx, p)
		if err != nil {
			return closed, err
		}
		if how == nil {
			continue
		}
		if err := s.close(ctx, p, how); err != nil {
			return closed, err
		}
		closed++
	}
	return closed, nil
}

func (s *Service) objectsOf(ctx context.Context, p *pending) error {
	rows, err := s.DB.Query(ctx, `SELECT w.object_kind, i.kind, i.value FROM watchlist_hits w JOIN intel_indicators i ON i.id = w.indicator_id WHERE w.finding_id = ?`, p.findingID)
	if err != nil {
		return fmt.Errorf("watchlist: verify: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o pendingObject
		if err := rows.Scan(&o.object, &o.kind, &o.value); err != nil {
			return err
		}
		p.objects = append(p.objects, o)
	}
	return rows.Err()
}

// Verification is what confirmed a recorded action, stored as JSON in
// watchlist_actions.verified_by (kind and parameters; the pages and the
// API put it in the reader's language).
type Verification struct {
	Kind string    `json:"kind"`           // VerifiedByScan or VerifiedByInventory
	Task string    `json:"task,omitempty"` // the scan task's id
	Host string    `json:"host,omitempty"` // the host whose inventory it was
	At   time.Time `json:"at"`             // when the scan finished or the inventory came in
}

// Kinds of verification.
const (
	VerifiedByScan      = "scan"
	VerifiedByInventory = "inventory"
)

// ParseVerification reads a stored verified_by; nil for one written
// before it was stored as JSON (the text itself is then shown).
func ParseVerification(s string) *Verification {
	if !strings.HasPrefix(s, "{") {
		return nil
	}
	var v Verification
	if json.Unmarshal([]byte(s), &v) != nil || v.Kind == "" {
		return nil
	}
	return &v
}

// auditView is what the audit row records: the status and what verified
// it (kind, and the scan task or the host).
func (v *Verification) auditView() map[string]any {
	m := map[string]any{"status": "resolved", "verified_by": v.Kind}
	if v.Task != "" {
		m["task"] = v.Task
	}
	if v.Host != "" {
		m["hostname"] = v.Host
	}
	return m
}

func (v *Verification) encode() string {
	b, _ := json.Marshal(v)
	return string(b)
}

// confirmation returns what confirms the action, or nil.
func (s *Service) confirmation(ctx context.Context, p *pending) (*Verification, error) {
	// A clean scan: the latest scan task finished after the action (a
	// scan that still found the indicator does not count, a later clean
	// one does).
	var taskID string
	var done int64
	var result string
	err := s.DB.QueryRow(ctx, `SELECT id, updated_at, result FROM agent_tasks WHERE host_id = ? AND kind = 'scan' AND status = 'done' AND updated_at > ?
		ORDER BY updated_at DESC, id DESC LIMIT 1`, p.hostID, p.at).Scan(&taskID, &done, &result)
	switch {
	case err == nil:
		clean, err := s.scanIsClean(ctx, p, taskID, result)
		if err != nil {
			return nil, err
		}
		if clean {
			return &Verification{Kind: VerifiedByScan, Task: taskID, At: store.Time(done)}, nil
		}
	case !store.IsNoRows(err):
		return nil, fmt.Errorf("watchlist: verify: %w", err)
	}
	// An inventory after the action that no longer shows the object.
	var invAt int64
	var raw, addresses, hostname, fqdn string
	if err := s.DB.QueryRow(ctx, `SELECT inventory_at, inventory, addresses, hostname, fqdn FROM hosts WHERE id = ?`, p.hostID).
		Scan(&invAt, &raw, &addresses, &hostname, &fqdn); err != nil {
		return nil, fmt.Errorf("watchlist: verify: %w", err)
	}
	if invAt <= p.at || raw == "" || len(p.objects) == 0 {
		return nil, nil
	}
	var inv hostInventory
	if json.Unmarshal([]byte(raw), &inv) != nil {
		return nil, nil
	}
	for _, o := range p.objects {
		if !goneFrom(&inv, o, addresses, hostname, fqdn) {
			return nil, nil
		}
	}
	return &Verification{Kind: VerifiedByInventory, Host: hostname, At: store.Time(invAt)}, nil
}

// scanIsClean reports whether a finished scan found nothing of the
// finding's indicators: no malware finding filed from the task names one.
func (s *Service) scanIsClean(ctx context.Context, p *pending, taskID, result string) (bool, error) {
	rows, err := s.DB.Query(ctx, `SELECT finding_key FROM findings WHERE host_id = ? AND kind = 'malware' AND source = ?`, p.hostID, "scan task "+taskID)
	if err != nil {
		return false, fmt.Errorf("watchlist: verify: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return false, err
		}
		for _, o := range p.objects {
			if strings.Contains(strings.ToLower(key), ":"+strings.ToLower(o.value)+"|") {
				return false, nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	// The report itself, for findings another path filed.
	lr := strings.ToLower(result)
	for _, o := range p.objects {
		if strings.Contains(lr, `"value":"`+strings.ToLower(o.value)+`"`) {
			return false, nil
		}
	}
	return true, nil
}

// goneFrom reports whether an inventory no longer shows an object.
func goneFrom(inv *hostInventory, o pendingObject, addresses, hostname, fqdn string) bool {
	v := strings.ToLower(o.value)
	switch o.object {
	case ObjectAccount:
		// The same rule as the matcher: an account listed is still there
		// while an enabled account of that name exists or a user of that
		// name is logged on ("DOMAIN\user" and "user@domain" compared
		// bare); a disabled or removed one is gone.
		name := bareAccount(v)
		for _, a := range inv.Accounts {
			if a.Enabled && strings.EqualFold(bareAccount(a.Name), name) {
				return false
			}
		}
		for _, u := range inv.LoggedOn {
			if strings.EqualFold(bareAccount(u.User), name) {
				return false
			}
		}
		return true
	case ObjectFileHash:
		for _, p := range inv.Processes {
			if strings.EqualFold(p.SHA256, v) {
				return false
			}
		}
		return true
	case ObjectHostAddress:
		pfx, err := netip.ParsePrefix(v)
		if err != nil {
			a, err := netip.ParseAddr(v)
			if err != nil {
				return false
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		addrs := strings.Fields(addresses)
		for _, n := range inv.Interfaces {
			addrs = append(addrs, n.Addresses...)
		}
		for _, s := range addrs {
			s, _, _ = strings.Cut(s, "/")
			if a, err := netip.ParseAddr(s); err == nil && pfx.Contains(a.Unmap()) {
				return false
			}
		}
		return true
	case ObjectHostname:
		for _, n := range []string{hostname, fqdn, inv.FQDN} {
			n = strings.ToLower(n)
			if n != "" && (n == v || strings.HasSuffix(n, "."+v)) {
				return false
			}
		}
		return true
	}
	return false // an alert's contact: only a clean scan says it is gone
}

// bareAccount is an account name without its domain ("DOMAIN\user",
// "user@domain" → "user").
func bareAccount(n string) string {
	if i := strings.LastIndexByte(n, '\\'); i >= 0 {
		n = n[i+1:]
	}
	if i := strings.IndexByte(n, '@'); i > 0 {
		n = n[:i]
	}
	return n
}

// close resolves the finding (its note stays the officer's own words;
// what verified it is kept with the action, in kind and parameters).
func (s *Service) close(ctx context.Context, p *pending, how *Verification) error {
	now := store.Micros(s.now())
	actx := auth.WithPrincipal(ctx, auth.System)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE findings SET status = 'resolved', status_since = ?, updated_by = 'system', updated_at = ?
			WHERE id = ? AND status = 'in_progress'`, now, now, p.findingID)
		if err != nil {
			return fmt.Errorf("watchlist: verify: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil // changed meanwhile
		}
		if _, err := tx.Exec(ctx, `UPDATE watchlist_actions SET verified_at = ?, verified_by = ? WHERE id = ?`, now, how.encode(), p.actionID); err != nil {
			return fmt.Errorf("watchlist: verify: %w", err)
		}
		return audit.Append(actx, tx, audit.Entry{Action: "watchlist.verified", ObjectType: "finding", ObjectID: strconv.FormatInt(p.findingID, 10), UnitID: p.unitID,
			Before: map[string]any{"status": "in_progress"}, After: how.auditView()})
	})
}
