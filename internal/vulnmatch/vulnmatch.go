// Package vulnmatch keeps each host's vulnerability findings in step with
// its inventory and the knowledge base: it matches a host again when its
// inventory changes (its inventory hash differs from the one last
// matched) and every host when the knowledge base changes (its version
// differs), files what internal/vuln/match finds as findings — a missing
// Microsoft update (kind missing_update, key "kb:<digits>", source "msrc")
// or a CVE of other software (kind vulnerability, key "cve:<id>", source
// "nvd") — and resolves, as the system, the findings of those sources the
// host no longer has, saying why.
package vulnmatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/asset"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/findings"
	"vigil/internal/store"
	"vigil/internal/vuln/match"
)

// Sources of the findings this service owns.
const (
	SourceMSRC = "msrc"
	SourceNVD  = "nvd"
)

// KB is the knowledge base the service matches against.
type KB interface {
	// KBVersion identifies the knowledge base's content; it changes when
	// a feed import changes anything. "" means empty: nothing is matched.
	KBVersion(ctx context.Context) (string, error)
	// KBData returns the knowledge base for matching.
	KBData(ctx context.Context) (*match.Data, error)
}

// KBFunc adapts a loader of match.Data (whose Version is set) to KB; it
// loads on every call, so it suits tests and fixed data.
type KBFunc func(ctx context.Context) (*match.Data, error)

func (f KBFunc) KBVersion(ctx context.Context) (string, error) {
	d, err := f(ctx)
	if err != nil || d == nil {
		return "", err
	}
	return d.Version, nil
}

func (f KBFunc) KBData(ctx context.Context) (*match.Data, error) { return f(ctx) }

// Service is the matcher's service.
type Service struct {
	DB  *store.DB
	KB  KB               // nil: no knowledge base, nothing is matched
	Now func() time.Time // for tests; time.Now when nil
	// Batch is how many hosts one pass of Run matches per transaction
	// group; 200 when 0.
	Batch int

	mu sync.Mutex
	ix *match.Index
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Index returns the matcher's index of the current knowledge base, built
// again only when its version changes; nil when there is none.
func (s *Service) Index(ctx context.Context) (*match.Index, error) {
	if s.KB == nil {
		return nil, nil
	}
	v, err := s.KB.KBVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("vulnmatch: knowledge base version: %w", err)
	}
	if v == "" {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix != nil && s.ix.Version == v {
		return s.ix, nil
	}
	d, err := s.KB.KBData(ctx)
	if err != nil {
		return nil, fmt.Errorf("vulnmatch: load knowledge base: %w", err)
	}
	if d.Version == "" {
		d.Version = v
	}
	s.ix = match.NewIndex(d)
	return s.ix, nil
}

// RunStats says what one pass did.
type RunStats struct {
	Hosts    int // hosts matched
	Created  int // findings new or reopened
	Updated  int
	Resolved int
}

// Run matches every host whose inventory or knowledge base changed since
// it was last matched. It is the scheduled job; it stops early when ctx
// ends and continues where it stopped at the next run.
func (s *Service) Run(ctx context.Context) error {
	_, err := s.RunStats(ctx)
	return err
}

// RunStats is Run, saying what it did.
func (s *Service) RunStats(ctx context.Context) (RunStats, error) {
	var st RunStats
	ix, err := s.Index(ctx)
	if err != nil || ix == nil {
		return st, err
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 200
	}
	var after int64
	for {
		if err := ctx.Err(); err != nil {
			return st, nil
		}
		rows, err := s.DB.Query(ctx, `SELECT h.id FROM hosts h LEFT JOIN vuln_match_state m ON m.host_id = h.id
			WHERE h.id > ? AND h.inventory <> '' AND (m.host_id IS NULL OR m.inventory_hash <> h.inventory_hash OR m.kb_version <> ?) ORDER BY h.id LIMIT ?`, after, ix.Version, batch)
		if err != nil {
			return st, fmt.Errorf("vulnmatch: hosts to match: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return st, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return st, err
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			o, err := s.matchHost(ctx, ix, id)
			if err != nil {
				return st, err
			}
			st.Hosts++
			st.Created += o.Created
			st.Updated += o.Updated
			st.Resolved += o.Resolved
		}
		after = ids[len(ids)-1]
	}
	// Forget hosts that were removed.
	if _, err := s.DB.Exec(ctx, `DELETE FROM vuln_match_state WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.id = vuln_match_state.host_id)`); err != nil {
		return st, fmt.Errorf("vulnmatch: forget removed hosts: %w", err)
	}
	return st, nil
}

// Outcome is what matching one host changed.
type Outcome struct {
	Created, Updated, Resolved int
	Result                     *match.Result
}

// MatchHost matches one host now, whatever its state, and files the
// findings. It is what Run does for each host that changed.
func (s *Service) MatchHost(ctx context.Context, hostID int64) (*Outcome, error) {
	ix, err := s.Index(ctx)
	if err != nil {
		return nil, err
	}
	if ix == nil {
		return nil, errors.New("vulnmatch: no knowledge base loaded")
	}
	return s.matchHost(ctx, ix, hostID)
}

func (s *Service) matchHost(ctx context.Context, ix *match.Index, hostID int64) (*Outcome, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var raw, hash string
	var unitID int64
	if err := s.DB.QueryRow(ctx, `SELECT inventory, inventory_hash, unit_id FROM hosts WHERE id = ?`, hostID).Scan(&raw, &hash, &unitID); err != nil {
		if store.IsNoRows(err) {
			return &Outcome{}, nil // removed meanwhile
		}
		return nil, fmt.Errorf("vulnmatch: host %d: %w", hostID, err)
	}
	inv := &asset.Inventory{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), inv); err != nil {
			return nil, fmt.Errorf("vulnmatch: host %d: stored inventory: %w", hostID, err)
		}
	}
	r := ix.Match(inv)
	out := &Outcome{Result: r}
	now := s.now().UTC()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		*out = Outcome{Result: r}
		keys := map[string]bool{}
		count := func(o findings.Outcome) {
			switch o {
			case findings.Created, findings.Reopened:
				out.Created++
			case findings.Updated:
				out.Updated++
			}
		}
		for _, u := range r.Updates {
			key := "kb:" + u.KB
			keys[findings.KindMissingUpdate+"|"+key] = true
			ev := findings.MissingUpdateEvidence{Update: "KB" + u.KB, Product: u.Product, Installed: u.Installed, Advisory: u.URL,
				KB: u.KB, CVEs: u.CVEs, CVSS: u.CVSS, Document: u.Document, CoveredBy: prefixKB(u.Alternatives), FixedBuild: u.FixedBuild, Replaces: prefixKB(u.Replaces)}
			if !u.Released.IsZero() {
				ev.Released = u.Released.Format("2006-01-02")
			}
			_, o, err := findings.Record(ctx, tx, findings.Observation{HostID: hostID, Kind: findings.KindMissingUpdate, Key: key,
				Title: updateTitle(u), Severity: severity(u.Severity), Evidence: ev, Source: SourceMSRC, SeenAt: now,
				CVE: u.TopCVE, CVSS: u.CVSS, EPSS: u.EPSS, KEV: u.KEV, KEVDue: u.KEVDue})
			if err != nil {
				return err
			}
			count(o)
		}
		for _, v := range r.Vulns {
			key := "cve:" + v.CVE
			keys[findings.KindVulnerability+"|"+key] = true
			ev := findings.VulnerabilityEvidence{CVE: v.CVE, CVSS: v.CVSS, Exploited: v.KEV, Product: v.Package, Installed: v.Version, FixedIn: v.FixedIn,
				Scanner: "inventory (" + v.Vendor + ":" + v.Product + ")"}
			_, o, err := findings.Record(ctx, tx, findings.Observation{HostID: hostID, Kind: findings.KindVulnerability, Key: key,
				Title: v.CVE + " — " + v.Package + " " + v.Version, Severity: severity(v.Severity), Evidence: ev, Source: SourceNVD, SeenAt: now,
				CVE: v.CVE, CVSS: v.CVSS, EPSS: v.EPSS, KEV: v.KEV, KEVDue: v.KEVDue})
			if err != nil {
				return err
			}
			count(o)
		}
		n, err := s.resolveGone(ctx, tx, hostID, unitID, inv, r, keys, now)
		if err != nil {
			return err
		}
		out.Resolved = n
		return s.saveState(ctx, tx, hostID, hash, ix.Version, r, now)
	})
	if err != nil {
		return nil, fmt.Errorf("vulnmatch: host %d: %w", hostID, err)
	}
	return out, nil
}

// resolveGone closes the active msrc/nvd findings of the host that the
// match no longer gives, with a note saying why, audited as the system.
func (s *Service) resolveGone(ctx context.Context, tx *store.Tx, hostID, unitID int64, inv *asset.Inventory, r *match.Result, keep map[string]bool, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, kind, finding_key, status, evidence FROM findings WHERE host_id = ? AND source IN ('msrc', 'nvd') AND status IN ('open', 'in_progress')`, hostID)
	if err != nil {
		return 0, fmt.Errorf("active findings: %w", err)
	}
	type gone struct {
		id                      int64
		kind, key, status, note string
	}
	var list []gone
	for rows.Next() {
		var g gone
		var ev string
		if err := rows.Scan(&g.id, &g.kind, &g.key, &g.status, &ev); err != nil {
			rows.Close()
			return 0, err
		}
		if keep[g.kind+"|"+g.key] {
			continue
		}
		g.note = closingNote(g.kind, ev, inv, r)
		list = append(list, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	us := store.Micros(now)
	for _, g := range list {
		if _, err := tx.Exec(ctx, `UPDATE findings SET status = 'resolved', status_since = ?, note = ?, updated_by = 'system', updated_at = ? WHERE id = ?`,
			us, g.note, us, g.id); err != nil {
			return 0, fmt.Errorf("resolve finding %d: %w", g.id, err)
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "finding.update", ObjectType: "finding", ObjectID: strconv.FormatInt(g.id, 10), UnitID: unitID,
			Before: map[string]any{"status": g.status}, After: map[string]any{"status": findings.StatusResolved, "note": g.note}}); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// closingNote says, in Vietnamese then English, why a finding no longer
// applies.
func closingNote(kind, evidence string, inv *asset.Inventory, r *match.Result) string {
	switch kind {
	case findings.KindMissingUpdate:
		var ev findings.MissingUpdateEvidence
		_ = json.Unmarshal([]byte(evidence), &ev)
		k := ev.KB
		installed := map[string]bool{}
		for _, h := range inv.Hotfixes {
			installed[strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(h.ID)), "KB")] = true
		}
		if installed[k] {
			return fmt.Sprintf("Đã khắc phục: máy đã cài KB%s (fixed: the host now has KB%s)", k, k)
		}
		// The CVEs now come under a newer update: replaced, not fixed.
		for _, u := range r.Updates {
			for _, c := range u.CVEs {
				if slices.Contains(ev.CVEs, c) {
					return fmt.Sprintf("Thay thế: cài KB%s (mới hơn) thay cho KB%s (replaced: install KB%s instead)", u.KB, k, u.KB)
				}
			}
		}
		var newest string
		for _, h := range inv.Hotfixes {
			id := strings.TrimSpace(h.ID)
			if newest == "" || id > newest {
				newest = id
			}
		}
		if inv.OS.Build != "" {
			return fmt.Sprintf("Đã khắc phục: máy chạy bản dựng %s, đã bao gồm KB%s (fixed: the host now runs build %s, which includes KB%s)", inv.OS.Build, k, inv.OS.Build, k)
		}
		if newest != "" {
			return fmt.Sprintf("Đã khắc phục: máy đã cài %s, bản thay thế KB%s (fixed: the host now has %s, which supersedes KB%s)", newest, k, newest, k)
		}
		return fmt.Sprintf("Không còn áp dụng: KB%s không còn thiếu theo dữ liệu MSRC hiện tại (no longer applies to this host)", k)
	default:
		var ev findings.VulnerabilityEvidence
		_ = json.Unmarshal([]byte(evidence), &ev)
		for _, s := range inv.Software {
			if s.Name == ev.Product {
				return fmt.Sprintf("Đã khắc phục: máy đã có %s %s (fixed: the host now has %s %s)", s.Name, s.Version, s.Name, s.Version)
			}
		}
		if ev.Product != "" {
			return fmt.Sprintf("Đã khắc phục: %s đã được gỡ khỏi máy (fixed: %s was removed)", ev.Product, ev.Product)
		}
		return "Không còn áp dụng theo dữ liệu NVD hiện tại (no longer applies to this host)"
	}
}

// maxUnmappedList bounds the stored list of unmapped packages per host.
const maxUnmappedList = 5000

func (s *Service) saveState(ctx context.Context, tx *store.Tx, hostID int64, hash, version string, r *match.Result, now time.Time) error {
	list := make([]string, 0, min(len(r.Unmapped), maxUnmappedList))
	for _, p := range r.Unmapped[:min(len(r.Unmapped), maxUnmappedList)] {
		list = append(list, p.String())
	}
	notes := r.NotCovered
	if notes == nil {
		notes = []match.Note{}
	}
	ul, _ := json.Marshal(list)
	nc, _ := json.Marshal(notes)
	_, err := tx.Exec(ctx, `INSERT INTO vuln_match_state (host_id, inventory_hash, kb_version, matched_at, windows, updates, vulns, mapped, unmapped, unmapped_list, not_covered)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (host_id) DO UPDATE SET inventory_hash = excluded.inventory_hash, kb_version = excluded.kb_version, matched_at = excluded.matched_at,
		windows = excluded.windows, updates = excluded.updates, vulns = excluded.vulns, mapped = excluded.mapped, unmapped = excluded.unmapped,
		unmapped_list = excluded.unmapped_list, not_covered = excluded.not_covered`,
		hostID, hash, version, store.Micros(now), r.Windows, len(r.Updates), len(r.Vulns), r.Mapped, len(r.Unmapped), string(ul), string(nc))
	if err != nil {
		return fmt.Errorf("save match state: %w", err)
	}
	return nil
}

func updateTitle(u match.Update) string {
	n := len(u.CVEs)
	return fmt.Sprintf("Thiếu bản cập nhật KB%s cho %s (%d CVE)", u.KB, u.Product, n)
}

func severity(s string) string {
	if slices.Contains(findings.Severities, s) {
		return s
	}
	return findings.SeverityMedium
}

func prefixKB(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, k := range in {
		out[i] = "KB" + k
	}
	return out
}
