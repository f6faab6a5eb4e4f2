package vulnmatch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/store"
	"vigil/internal/vuln/match"
)

// MissingUpdate is one Microsoft update a host lacks, as the API and the
// host page show it: an active missing_update finding.
type MissingUpdate struct {
	FindingID  int64     `json:"finding_id"`
	KB         string    `json:"kb"`   // "KB5033371"
	CVEs       []string  `json:"cves"` // most severe first
	Severity   string    `json:"severity"`
	Product    string    `json:"product"`
	CVSS       float64   `json:"cvss,omitempty"`
	KEV        bool      `json:"kev"`
	Status     string    `json:"status"`
	DueAt      time.Time `json:"due_at,omitzero"`
	Overdue    bool      `json:"overdue"`
	Document   string    `json:"document,omitempty"` // the MSRC release, "2023-Dec"
	Released   string    `json:"released,omitempty"`
	Installed  string    `json:"installed,omitempty"` // the build or version the host runs
	FixedBuild string    `json:"fixed_build,omitempty"`
	Replaces   []string  `json:"replaces,omitempty"` // earlier monthly updates it stands in for
	URL        string    `json:"url,omitempty"`
	Source     string    `json:"source"`
}

// HostState is what the matcher last found on a host.
type HostState struct {
	HostID    int64     `json:"host_id"`
	Matched   bool      `json:"matched"` // false: not matched yet (no knowledge base, or the job has not run)
	MatchedAt time.Time `json:"matched_at,omitzero"`
	KBVersion string    `json:"kb_version,omitempty"`
	Windows   string    `json:"windows,omitempty"` // the MSRC product the host was recognised as
	Updates   int       `json:"updates"`
	Vulns     int       `json:"vulnerabilities"`
	// Mapped and Unmapped count installed packages named, or not, as an
	// NVD product; UnmappedList names the latter ("name version").
	Mapped       int          `json:"mapped_packages"`
	Unmapped     int          `json:"unmapped_packages"`
	UnmappedList []string     `json:"unmapped_list"`
	NotCovered   []match.Note `json:"not_covered"` // what could not be checked
}

// Packages is how many installed packages the matcher looked at.
func (h *HostState) Packages() int { return h.Mapped + h.Unmapped }

// FirstCVEs returns at most n of the update's CVEs, for a short line.
func (m MissingUpdate) FirstCVEs(n int) []string { return m.CVEs[:min(n, len(m.CVEs))] }

// MoreCVEs is how many CVEs FirstCVEs(n) leaves out.
func (m MissingUpdate) MoreCVEs(n int) int { return max(0, len(m.CVEs)-n) }

// hostInScope checks the caller may read the host.
func (s *Service) hostInScope(ctx context.Context, hostID int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	var path string
	err = s.DB.QueryRow(ctx, `SELECT u.path FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.id = ?`, hostID).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return fmt.Errorf("vulnmatch: host %d: %w", hostID, err)
	}
	if err != nil || !p.CanRead(path) {
		return errs.NotFound("host")
	}
	return nil
}

// MissingUpdates lists the Microsoft updates a host in the caller's scope
// lacks (active missing_update findings), most severe first.
func (s *Service) MissingUpdates(ctx context.Context, hostID int64) ([]MissingUpdate, error) {
	if err := s.hostInScope(ctx, hostID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT f.id, f.finding_key, f.severity, f.status, f.due_at, f.cvss, f.kev, f.evidence, f.source FROM findings f
		WHERE f.host_id = ? AND f.kind = ? AND f.status IN ('open', 'in_progress')
		ORDER BY CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, f.cvss DESC, f.finding_key`, hostID, findings.KindMissingUpdate)
	if err != nil {
		return nil, fmt.Errorf("vulnmatch: missing updates of host %d: %w", hostID, err)
	}
	defer rows.Close()
	now := s.now()
	out := []MissingUpdate{}
	for rows.Next() {
		var m MissingUpdate
		var key, evidence string
		var due int64
		if err := rows.Scan(&m.FindingID, &key, &m.Severity, &m.Status, &due, &m.CVSS, &m.KEV, &evidence, &m.Source); err != nil {
			return nil, err
		}
		var ev findings.MissingUpdateEvidence
		_ = json.Unmarshal([]byte(evidence), &ev)
		m.KB = ev.Update
		if m.KB == "" && len(key) > 3 {
			m.KB = "KB" + key[3:]
		}
		m.CVEs, m.Product, m.Document, m.Released, m.Installed, m.FixedBuild, m.Replaces, m.URL = ev.CVEs, ev.Product, ev.Document, ev.Released, ev.Installed, ev.FixedBuild, ev.Replaces, ev.Advisory
		if m.CVEs == nil {
			m.CVEs = []string{}
		}
		if due > 0 {
			m.DueAt = store.Time(due)
			m.Overdue = now.After(m.DueAt)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// State returns what the matcher last found on a host in the caller's
// scope.
func (s *Service) State(ctx context.Context, hostID int64) (*HostState, error) {
	if err := s.hostInScope(ctx, hostID); err != nil {
		return nil, err
	}
	st := &HostState{HostID: hostID, UnmappedList: []string{}, NotCovered: []match.Note{}}
	var at int64
	var ul, nc string
	err := s.DB.QueryRow(ctx, `SELECT kb_version, matched_at, windows, updates, vulns, mapped, unmapped, unmapped_list, not_covered FROM vuln_match_state WHERE host_id = ?`, hostID).
		Scan(&st.KBVersion, &at, &st.Windows, &st.Updates, &st.Vulns, &st.Mapped, &st.Unmapped, &ul, &nc)
	if store.IsNoRows(err) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vulnmatch: state of host %d: %w", hostID, err)
	}
	st.Matched, st.MatchedAt = true, store.Time(at)
	_ = json.Unmarshal([]byte(ul), &st.UnmappedList)
	_ = json.Unmarshal([]byte(nc), &st.NotCovered)
	return st, nil
}
