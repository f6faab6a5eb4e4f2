package vuln

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
	"vigil/internal/vuln/kb"
)

// Snapshot is the whole knowledge base in memory, for the matchers. It is
// read in one transaction, so it is consistent; Version identifies it.
type Snapshot struct {
	// Version is raised by every import that changed a row: a matcher
	// holding an older one should take a new snapshot and match again.
	Version    int64
	Products   []kb.Product         // MSRC products, by id
	Fixes      []kb.MSFix           // every MSRC vendor fix, by (CVE, product, KB)
	CVEs       map[string]kb.CVE    // by id, MSRC and NVD merged (see MergeCVE)
	KEV        map[string]kb.KEV    // by CVE id
	EPSS       map[string]kb.EPSS   // by CVE id
	CPEMatches []kb.CPEMatch        // NVD cpeMatch entries, by (CVE, config, node)
	Documents  []Document           // MSRC documents loaded, oldest first
	Loaded     map[string]time.Time // per feed, when it was last loaded
}

// Document is an MSRC security update document loaded.
type Document struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Format   string    `json:"format"`
	Released time.Time `json:"released"`
	Updated  time.Time `json:"updated"`
	CVEs     int       `json:"cves"`
	Fixes    int       `json:"fixes"`
	LoadedAt time.Time `json:"loaded_at"`
}

// Version returns the knowledge base's version: cheap, for a matcher to
// poll.
func (s *Service) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.DB.QueryRow(ctx, `SELECT version FROM vuln_kb_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("vuln: read version: %w", err)
	}
	return v, nil
}

// Snapshot reads the whole knowledge base. It needs no caller (the
// matchers run as the hub); it holds facts about software, nothing of any
// unit.
func (s *Service) Snapshot(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{CVEs: map[string]kb.CVE{}, KEV: map[string]kb.KEV{}, EPSS: map[string]kb.EPSS{}, Loaded: map[string]time.Time{}}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		*snap = Snapshot{CVEs: map[string]kb.CVE{}, KEV: map[string]kb.KEV{}, EPSS: map[string]kb.EPSS{}, Loaded: map[string]time.Time{}}
		if err := tx.QueryRow(ctx, `SELECT version FROM vuln_kb_version WHERE id = 1`).Scan(&snap.Version); err != nil {
			return fmt.Errorf("vuln: read version: %w", err)
		}
		if err := each(ctx, tx, `SELECT id, name FROM vuln_ms_products ORDER BY id`, nil, func(sc scanner) error {
			var p kb.Product
			if err := sc.Scan(&p.ID, &p.Name); err != nil {
				return err
			}
			snap.Products = append(snap.Products, p)
			return nil
		}); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT cve, product_id, kb, sub_type, fixed_build, supersedes, url, severity, released, document FROM vuln_ms_fixes ORDER BY cve, product_id, fix_key`, nil, func(sc scanner) error {
			var f kb.MSFix
			var sup string
			var rel int64
			if err := sc.Scan(&f.CVE, &f.ProductID, &f.KB, &f.SubType, &f.FixedBuild, &sup, &f.URL, &f.Severity, &rel, &f.Document); err != nil {
				return err
			}
			f.Supersedes = split(sup)
			f.Released = store.Time(rel)
			snap.Fixes = append(snap.Fixes, f)
			return nil
		}); err != nil {
			return err
		}
		if err := eachCVE(ctx, tx, "", nil, func(c kb.CVE) { snap.CVEs[c.ID] = c }); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT cve, vendor, product, name, added, due, ransomware, action FROM vuln_kev`, nil, func(sc scanner) error {
			k, err := scanKEV(sc)
			if err != nil {
				return err
			}
			snap.KEV[k.CVE] = k
			return nil
		}); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT cve, score, percentile, scored_on FROM vuln_epss`, nil, func(sc scanner) error {
			var e kb.EPSS
			var on int64
			if err := sc.Scan(&e.CVE, &e.Score, &e.Percentile, &on); err != nil {
				return err
			}
			e.Date = store.Time(on)
			snap.EPSS[e.CVE] = e
			return nil
		}); err != nil {
			return err
		}
		if err := each(ctx, tx, `SELECT cve, vulnerable, criteria, part, vendor, product, version, start_incl, start_excl, end_incl, end_excl, config, node, operator, negate, config_operator
			FROM vuln_cpe_matches ORDER BY cve, seq`, nil, func(sc scanner) error {
			var m kb.CPEMatch
			if err := sc.Scan(&m.CVE, &m.Vulnerable, &m.Criteria, &m.Part, &m.Vendor, &m.Product, &m.Version, &m.VersionStartIncluding, &m.VersionStartExcluding,
				&m.VersionEndIncluding, &m.VersionEndExcluding, &m.Config, &m.Node, &m.Operator, &m.Negate, &m.ConfigOperator); err != nil {
				return err
			}
			snap.CPEMatches = append(snap.CPEMatches, m)
			return nil
		}); err != nil {
			return err
		}
		docs, err := documents(ctx, tx)
		if err != nil {
			return err
		}
		snap.Documents = docs
		return each(ctx, tx, `SELECT feed, loaded_at FROM vuln_feeds`, nil, func(sc scanner) error {
			var f string
			var at int64
			if err := sc.Scan(&f, &at); err != nil {
				return err
			}
			snap.Loaded[f] = store.Time(at)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

type scanner interface{ Scan(...any) error }

// queryer is *store.DB or *store.Tx: both rebind ? for the engine.
type queryer interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$|^ADV\d{6,}$`)

func each(ctx context.Context, q queryer, sql string, args []any, fn func(scanner) error) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("vuln: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("vuln: read: %w", err)
		}
	}
	return rows.Err()
}

// eachCVE reads CVEs (all, or those WHERE id = ?), each merged from its
// MSRC and NVD rows.
func eachCVE(ctx context.Context, q queryer, where string, args []any, fn func(kb.CVE)) error {
	var cur []kb.CVE
	flush := func() {
		if len(cur) > 0 {
			fn(MergeCVE(cur...))
		}
		cur = cur[:0]
	}
	err := each(ctx, q, `SELECT id, source, title, description, published, modified, severity, cvss, vector, cwe, exploited, publicly_known
		FROM vuln_cves `+where+` ORDER BY id, source`, args, func(sc scanner) error {
		var c kb.CVE
		var pub, mod int64
		var cwe string
		if err := sc.Scan(&c.ID, &c.Source, &c.Title, &c.Description, &pub, &mod, &c.Severity, &c.CVSS, &c.Vector, &cwe, &c.ExploitedMSRC, &c.PubliclyKnown); err != nil {
			return err
		}
		c.Published, c.Modified, c.CWE = store.Time(pub), store.Time(mod), split(cwe)
		if len(cur) > 0 && cur[0].ID != c.ID {
			flush()
		}
		cur = append(cur, c)
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	return nil
}

// MergeCVE merges what the feeds say of one CVE: NVD's score and
// description when NVD has them (its CVSS v3.x is the "best base score"),
// else MSRC's; MSRC's title and exploited flags; the earliest
// publication, the latest change, every CWE.
func MergeCVE(rows ...kb.CVE) kb.CVE {
	var out kb.CVE
	var ms, nv *kb.CVE
	for i := range rows {
		switch rows[i].Source {
		case FeedMSRC:
			ms = &rows[i]
		case FeedNVD:
			nv = &rows[i]
		}
	}
	for _, r := range []*kb.CVE{ms, nv} {
		if r == nil {
			continue
		}
		out.ID = r.ID
		if out.Published.IsZero() || (!r.Published.IsZero() && r.Published.Before(out.Published)) {
			out.Published = r.Published
		}
		if r.Modified.After(out.Modified) {
			out.Modified = r.Modified
		}
		for _, w := range r.CWE {
			if !contains(out.CWE, w) {
				out.CWE = append(out.CWE, w)
			}
		}
	}
	if ms != nil {
		out.Title, out.Description = ms.Title, ms.Description
		out.Severity, out.CVSS, out.Vector, out.Source = ms.Severity, ms.CVSS, ms.Vector, FeedMSRC
		out.ExploitedMSRC, out.PubliclyKnown = ms.ExploitedMSRC, ms.PubliclyKnown
	}
	if nv != nil {
		if out.Title == "" {
			out.Title = nv.Title
		}
		if nv.Description != "" {
			out.Description = nv.Description
		}
		if nv.CVSS > 0 {
			out.Severity, out.CVSS, out.Vector, out.Source = nv.Severity, nv.CVSS, nv.Vector, FeedNVD
		} else if out.Source == "" {
			out.Source = FeedNVD
		}
	}
	return out
}

func scanKEV(sc scanner) (kb.KEV, error) {
	var k kb.KEV
	var added, due int64
	if err := sc.Scan(&k.CVE, &k.Vendor, &k.Product, &k.Name, &added, &due, &k.Ransomware, &k.Action); err != nil {
		return k, err
	}
	k.Added, k.Due = store.Time(added), store.Time(due)
	return k, nil
}

func documents(ctx context.Context, q queryer) ([]Document, error) {
	var out []Document
	err := each(ctx, q, `SELECT id, title, format, released, updated, cves, fixes, loaded_at FROM vuln_ms_documents ORDER BY released, id`, nil, func(sc scanner) error {
		var d Document
		var rel, upd, at int64
		if err := sc.Scan(&d.ID, &d.Title, &d.Format, &rel, &upd, &d.CVEs, &d.Fixes, &at); err != nil {
			return err
		}
		d.Released, d.Updated, d.LoadedAt = store.Time(rel), store.Time(upd), store.Time(at)
		out = append(out, d)
		return nil
	})
	return out, err
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// CVEDetail is one CVE with everything the knowledge base knows of it.
type CVEDetail struct {
	kb.CVE
	KEV   *kb.KEV       `json:"kev,omitempty"`
	EPSS  *kb.EPSS      `json:"epss,omitempty"`
	Fixes []FixView     `json:"fixes"`
	Feeds []string      `json:"feeds"` // which feeds know it
	CPE   []kb.CPEMatch `json:"cpe_matches,omitempty"`
}

// FixView is an MSRC fix with its product's name.
type FixView struct {
	kb.MSFix
	Product string `json:"product"`
}

// CVE returns what is known of one CVE, for any signed-in user.
func (s *Service) CVE(ctx context.Context, id string) (*CVEDetail, error) {
	p := auth.FromContext(ctx)
	if p == nil || p.Via == "agent" {
		return nil, errs.Errorf(errs.EUNAUTHORIZED, "authentication required")
	}
	id = strings.ToUpper(strings.TrimSpace(id))
	if !cveID.MatchString(id) {
		return nil, errs.Invalid("id", "%q is not a CVE id (CVE-YYYY-NNNN)", id)
	}
	d := &CVEDetail{Fixes: []FixView{}}
	found := false
	err := eachCVE(ctx, s.DB, "WHERE id = ?", []any{id}, func(c kb.CVE) { d.CVE = c; found = true })
	if err != nil {
		return nil, err
	}
	if err := each(ctx, s.DB, `SELECT source FROM vuln_cves WHERE id = ? ORDER BY source`, []any{id}, func(sc scanner) error {
		var f string
		if err := sc.Scan(&f); err != nil {
			return err
		}
		d.Feeds = append(d.Feeds, f)
		return nil
	}); err != nil {
		return nil, err
	}
	k, err := scanKEV(s.DB.QueryRow(ctx, `SELECT cve, vendor, product, name, added, due, ransomware, action FROM vuln_kev WHERE cve = ?`, id))
	if err == nil {
		d.KEV = &k
		found = true
		d.Feeds = append(d.Feeds, FeedKEV)
	} else if !store.IsNoRows(err) {
		return nil, fmt.Errorf("vuln: read kev: %w", err)
	}
	var e kb.EPSS
	var on int64
	err = s.DB.QueryRow(ctx, `SELECT cve, score, percentile, scored_on FROM vuln_epss WHERE cve = ?`, id).Scan(&e.CVE, &e.Score, &e.Percentile, &on)
	if err == nil {
		e.Date = store.Time(on)
		d.EPSS = &e
		found = true
		d.Feeds = append(d.Feeds, FeedEPSS)
	} else if !store.IsNoRows(err) {
		return nil, fmt.Errorf("vuln: read epss: %w", err)
	}
	if err := each(ctx, s.DB, `SELECT f.cve, f.product_id, f.kb, f.sub_type, f.fixed_build, f.supersedes, f.url, f.severity, f.released, f.document, COALESCE(p.name, '')
		FROM vuln_ms_fixes f LEFT JOIN vuln_ms_products p ON p.id = f.product_id WHERE f.cve = ? ORDER BY p.name, f.kb`, []any{id}, func(sc scanner) error {
		var f FixView
		var sup string
		var rel int64
		if err := sc.Scan(&f.CVE, &f.ProductID, &f.KB, &f.SubType, &f.FixedBuild, &sup, &f.URL, &f.Severity, &rel, &f.Document, &f.Product); err != nil {
			return err
		}
		f.Supersedes, f.Released = split(sup), store.Time(rel)
		d.Fixes = append(d.Fixes, f)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, s.DB, `SELECT cve, vulnerable, criteria, part, vendor, product, version, start_incl, start_excl, end_incl, end_excl, config, node, operator, negate, config_operator
		FROM vuln_cpe_matches WHERE cve = ? ORDER BY seq LIMIT 500`, []any{id}, func(sc scanner) error {
		var m kb.CPEMatch
		if err := sc.Scan(&m.CVE, &m.Vulnerable, &m.Criteria, &m.Part, &m.Vendor, &m.Product, &m.Version, &m.VersionStartIncluding, &m.VersionStartExcluding,
			&m.VersionEndIncluding, &m.VersionEndExcluding, &m.Config, &m.Node, &m.Operator, &m.Negate, &m.ConfigOperator); err != nil {
			return err
		}
		d.CPE = append(d.CPE, m)
		return nil
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, errs.NotFound("CVE " + id)
	}
	if d.CVE.ID == "" {
		d.CVE.ID = id
	}
	return d, nil
}
