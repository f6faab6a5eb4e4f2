package vuln

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
	"vigil/internal/vuln/epss"
	"vigil/internal/vuln/kb"
	"vigil/internal/vuln/kev"
	"vigil/internal/vuln/msrc"
	"vigil/internal/vuln/nvd"
)

// importer carries one import's state between the parser's callbacks and
// the batch writes.
type importer struct {
	s        *Service
	ctx      context.Context
	res      *Result
	progress func()
	fixes    int // MSRC fixes read
}

func (im *importer) tooMany() error {
	max := im.s.MaxRecords
	if max == 0 {
		max = DefaultMaxRecords
	}
	if im.res.Records > max {
		return errs.Errorf(errs.ETOOLARGE, "%s: more than %d records; split it", im.res.File, max)
	}
	return nil
}

// write runs one batch in a transaction and raises the knowledge base's
// version when the batch changed anything.
func (im *importer) write(fn func(tx *store.Tx) (changed []string, err error)) error {
	if err := im.ctx.Err(); err != nil {
		return err
	}
	err := im.s.DB.InTx(im.ctx, func(tx *store.Tx) error {
		changed, err := fn(tx)
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			if _, err := tx.Exec(im.ctx, `UPDATE vuln_kb_version SET version = version + 1, changed_at = ? WHERE id = 1`, store.Micros(im.s.now())); err != nil {
				return fmt.Errorf("vuln: raise version: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.progress()
	return nil
}

func (im *importer) msrc(r io.Reader, name string) error {
	var (
		doc      msrc.Document
		products []kb.Product
		pend     []msrc.Vulnerability
		wroteP   bool
	)
	flush := func() error {
		if len(pend) == 0 && wroteP {
			return nil
		}
		batch, prods := pend, products
		pend, products = nil, nil
		wroteP = true
		return im.write(func(tx *store.Tx) ([]string, error) {
			if err := im.writeProducts(tx, prods); err != nil {
				return nil, err
			}
			return im.writeMSRC(tx, batch)
		})
	}
	_, err := msrc.Parse(r, name, msrc.Handler{
		Document: func(d msrc.Document) error {
			doc = d
			im.res.Document, im.res.DataDate, im.res.Format = d.ID, d.Updated, d.Format
			return nil
		},
		Product: func(p kb.Product) error {
			if len(products) > 100000 {
				return errs.Errorf(errs.ETOOLARGE, "%s: more than %d records; split it", name, 100000)
			}
			products = append(products, p)
			im.res.Products++
			return nil
		},
		Vulnerability: func(v msrc.Vulnerability) error {
			im.res.Records++
			im.res.Loaded++
			im.fixes += len(v.Fixes)
			if err := im.tooMany(); err != nil {
				return err
			}
			pend = append(pend, v)
			if len(pend) >= im.s.batch() {
				return flush()
			}
			return nil
		},
		Skip: im.res.skip,
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if doc.ID == "" {
		return nil
	}
	return im.write(func(tx *store.Tx) ([]string, error) {
		_, err := tx.Exec(im.ctx, `INSERT INTO vuln_ms_documents (id, title, format, released, updated, cves, fixes, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET title = excluded.title, format = excluded.format, released = excluded.released, updated = excluded.updated,
			cves = excluded.cves, fixes = excluded.fixes, loaded_at = excluded.loaded_at`,
			doc.ID, doc.Title, doc.Format, micros(doc.Released), micros(doc.Updated), im.res.Loaded, im.fixes, store.Micros(im.s.now()))
		return nil, err
	})
}

func (im *importer) writeProducts(tx *store.Tx, ps []kb.Product) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(ps))
	seen := map[string]bool{}
	now := store.Micros(im.s.now())
	for _, p := range ps {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		rows = append(rows, []any{p.ID, p.Name, now})
	}
	return upsert(im.ctx, tx, "vuln_ms_products", []string{"id", "name", "loaded_at"}, 1, rows)
}

// stored is what a batch's prefetch finds of a row.
type stored struct {
	digest   string
	modified int64
}

func (im *importer) prefetchCVEs(tx *store.Tx, source string, ids []string) (map[string]stored, error) {
	out := make(map[string]stored, len(ids))
	for _, chunk := range chunks(ids, 500) {
		rows, err := tx.Query(im.ctx, `SELECT id, digest, modified FROM vuln_cves WHERE source = ? AND id IN (`+marks(len(chunk))+`)`, append([]any{source}, anys(chunk)...)...)
		if err != nil {
			return nil, fmt.Errorf("vuln: read cves: %w", err)
		}
		for rows.Next() {
			var id string
			var st stored
			if err := rows.Scan(&id, &st.digest, &st.modified); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var cveCols = []string{"id", "source", "title", "description", "published", "modified", "severity", "cvss", "vector", "cwe", "exploited", "publicly_known", "digest", "loaded_at"}

func cveRow(c kb.CVE, source, digest string, now int64) []any {
	return []any{c.ID, source, c.Title, c.Description, micros(c.Published), micros(c.Modified), c.Severity, c.CVSS, c.Vector,
		strings.Join(c.CWE, ","), c.ExploitedMSRC, c.PubliclyKnown, digest, now}
}

func cveDigest(c kb.CVE) string {
	return digest(c.ID, c.Title, c.Description, micros(c.Published), micros(c.Modified), c.Severity, c.CVSS, c.Vector, strings.Join(c.CWE, ","), c.ExploitedMSRC, c.PubliclyKnown)
}

// newer says whether a record modified at m may replace the stored one.
func newer(m int64, st stored) bool { return m == 0 || st.modified == 0 || m >= st.modified }

func (im *importer) writeMSRC(tx *store.Tx, vs []msrc.Vulnerability) ([]string, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	// A CVE twice in one batch: the later one wins.
	last := map[string]int{}
	for i, v := range vs {
		last[v.CVE.ID] = i
	}
	ids := make([]string, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	have, err := im.prefetchCVEs(tx, FeedMSRC, ids)
	if err != nil {
		return nil, err
	}
	type fixKey struct{ cve, product, key string }
	haveFix := map[fixKey]stored{}
	for _, chunk := range chunks(ids, 500) {
		rows, err := tx.Query(im.ctx, `SELECT cve, product_id, fix_key, digest, released FROM vuln_ms_fixes WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("vuln: read fixes: %w", err)
		}
		for rows.Next() {
			var k fixKey
			var st stored
			if err := rows.Scan(&k.cve, &k.product, &k.key, &st.digest, &st.modified); err != nil {
				rows.Close()
				return nil, err
			}
			haveFix[k] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	now := store.Micros(im.s.now())
	var cveRows, fixRows [][]any
	var changed []string
	for i, v := range vs {
		if last[v.CVE.ID] != i {
			im.res.Unchanged++
			continue
		}
		ch := false
		d := cveDigest(v.CVE)
		if st, ok := have[v.CVE.ID]; !ok || (st.digest != d && newer(micros(v.CVE.Modified), st)) {
			cveRows = append(cveRows, cveRow(v.CVE, FeedMSRC, d, now))
			ch = true
		}
		seen := map[fixKey]bool{}
		for _, f := range v.Fixes {
			key := f.KB
			if key == "" {
				key = "build:" + f.FixedBuild
			}
			k := fixKey{f.CVE, f.ProductID, key}
			if seen[k] {
				continue
			}
			seen[k] = true
			fd := digest(f.KB, f.SubType, f.FixedBuild, strings.Join(f.Supersedes, ","), f.URL, f.Severity, micros(f.Released), f.Document)
			if st, ok := haveFix[k]; ok && (st.digest == fd || !newer(micros(f.Released), st)) {
				continue
			}
			fixRows = append(fixRows, []any{f.CVE, f.ProductID, key, f.KB, f.SubType, f.FixedBuild, strings.Join(f.Supersedes, ","), f.URL, f.Severity, micros(f.Released), f.Document, fd})
			ch = true
		}
		if ch {
			im.res.Changed++
			changed = append(changed, v.CVE.ID)
		} else {
			im.res.Unchanged++
		}
	}
	if err := upsert(im.ctx, tx, "vuln_cves", cveCols, 2, cveRows); err != nil {
		return nil, err
	}
	if err := upsert(im.ctx, tx, "vuln_ms_fixes", []string{"cve", "product_id", "fix_key", "kb", "sub_type", "fixed_build", "supersedes", "url", "severity", "released", "document", "digest"}, 3, fixRows); err != nil {
		return nil, err
	}
	return changed, nil
}

func (im *importer) nvd(r io.Reader, name string) error {
	var pend []nvd.Record
	flush := func() error {
		if len(pend) == 0 {
			return nil
		}
		batch := pend
		pend = nil
		return im.write(func(tx *store.Tx) ([]string, error) { return im.writeNVD(tx, batch) })
	}
	err := nvd.Parse(r, name, nvd.Handler{
		Header: func(h nvd.Header) error {
			if h.Timestamp.After(im.res.DataDate) {
				im.res.DataDate = h.Timestamp
			}
			return nil
		},
		CVE: func(rec nvd.Record) error {
			im.res.Records++
			im.res.Loaded++
			if err := im.tooMany(); err != nil {
				return err
			}
			pend = append(pend, rec)
			if len(pend) >= im.s.batch() {
				return flush()
			}
			return nil
		},
		Skip: im.res.skip,
	})
	if err != nil {
		return err
	}
	return flush()
}

var cpeCols = []string{"cve", "seq", "vulnerable", "criteria", "part", "vendor", "product", "version", "start_incl", "start_excl", "end_incl", "end_excl", "config", "node", "operator", "negate", "config_operator"}

func (im *importer) writeNVD(tx *store.Tx, recs []nvd.Record) ([]string, error) {
	best := map[string]int{}
	for i, r := range recs {
		if j, ok := best[r.CVE.ID]; !ok || !r.CVE.Modified.Before(recs[j].CVE.Modified) {
			best[r.CVE.ID] = i
		}
	}
	ids := make([]string, 0, len(best))
	for id := range best {
		ids = append(ids, id)
	}
	have, err := im.prefetchCVEs(tx, FeedNVD, ids)
	if err != nil {
		return nil, err
	}
	now := store.Micros(im.s.now())
	var cveRows, matchRows [][]any
	var changed []string
	for i, r := range recs {
		if best[r.CVE.ID] != i {
			im.res.Unchanged++
			continue
		}
		parts := []any{cveDigest(r.CVE)}
		for _, m := range r.Matches {
			parts = append(parts, m.Vulnerable, m.Criteria, m.VersionStartIncluding, m.VersionStartExcluding, m.VersionEndIncluding, m.VersionEndExcluding, m.Config, m.Node, m.Operator, m.Negate, m.ConfigOperator)
		}
		d := digest(parts...)
		if st, ok := have[r.CVE.ID]; ok && (st.digest == d || !newer(micros(r.CVE.Modified), st)) {
			im.res.Unchanged++
			continue
		}
		im.res.Changed++
		changed = append(changed, r.CVE.ID)
		cveRows = append(cveRows, cveRow(r.CVE, FeedNVD, d, now))
		for seq, m := range r.Matches {
			matchRows = append(matchRows, []any{r.CVE.ID, seq, m.Vulnerable, m.Criteria, m.Part, m.Vendor, m.Product, m.Version,
				m.VersionStartIncluding, m.VersionStartExcluding, m.VersionEndIncluding, m.VersionEndExcluding, m.Config, m.Node, m.Operator, m.Negate, m.ConfigOperator})
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	for _, chunk := range chunks(changed, 500) {
		if _, err := tx.Exec(im.ctx, `DELETE FROM vuln_cpe_matches WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...); err != nil {
			return nil, fmt.Errorf("vuln: replace cpe matches: %w", err)
		}
	}
	if err := upsert(im.ctx, tx, "vuln_cves", cveCols, 2, cveRows); err != nil {
		return nil, err
	}
	if err := upsert(im.ctx, tx, "vuln_cpe_matches", cpeCols, 2, matchRows); err != nil {
		return nil, err
	}
	// The findings about these CVEs show NVD's score.
	for _, chunk := range chunks(changed, 500) {
		if _, err := tx.Exec(im.ctx, `UPDATE findings SET cvss = (SELECT c.cvss FROM vuln_cves c WHERE c.id = findings.cve AND c.source = 'nvd')
			WHERE cve IN (`+marks(len(chunk))+`) AND EXISTS (SELECT 1 FROM vuln_cves c WHERE c.id = findings.cve AND c.source = 'nvd' AND c.cvss > 0)`, anys(chunk)...); err != nil {
			return nil, fmt.Errorf("vuln: refresh findings' cvss: %w", err)
		}
	}
	return changed, nil
}

func (im *importer) kev(r io.Reader, name string) error {
	var pend []kb.KEV
	var count int
	seen := map[string]struct{}{}
	flush := func() error {
		if len(pend) == 0 {
			return nil
		}
		batch := pend
		pend = nil
		return im.write(func(tx *store.Tx) ([]string, error) { return im.writeKEV(tx, batch) })
	}
	_, err := kev.Parse(r, name, kev.Handler{
		Header: func(h kev.Header) error {
			im.res.DataDate, im.res.Document, count = h.Released, h.Version, h.Count
			return nil
		},
		Entry: func(k kb.KEV) error {
			im.res.Records++
			im.res.Loaded++
			seen[k.CVE] = struct{}{}
			if err := im.tooMany(); err != nil {
				return err
			}
			pend = append(pend, k)
			if len(pend) >= im.s.batch() {
				return flush()
			}
			return nil
		},
		Skip: im.res.skip,
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	// The KEV file is CISA's whole catalogue: when every entry it counts
	// was read, a CVE stored but no longer in it was taken off the list
	// (CISA has removed a few), and findings about it stop saying
	// "known exploited". A partial or damaged file removes nothing.
	if count == 0 || im.res.Skipped > 0 || len(seen) != count {
		return nil
	}
	return im.write(func(tx *store.Tx) ([]string, error) { return im.removeKEV(tx, seen) })
}

// removeKEV deletes the stored KEV entries the complete catalogue seen no
// longer holds and clears the findings about them.
func (im *importer) removeKEV(tx *store.Tx, seen map[string]struct{}) ([]string, error) {
	rows, err := tx.Query(im.ctx, `SELECT cve FROM vuln_kev`)
	if err != nil {
		return nil, fmt.Errorf("vuln: read kev: %w", err)
	}
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		if _, ok := seen[id]; !ok {
			gone = append(gone, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, chunk := range chunks(gone, 500) {
		if _, err := tx.Exec(im.ctx, `DELETE FROM vuln_kev WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...); err != nil {
			return nil, fmt.Errorf("vuln: remove kev: %w", err)
		}
		if _, err := tx.Exec(im.ctx, `UPDATE findings SET kev = FALSE, kev_due = 0 WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...); err != nil {
			return nil, fmt.Errorf("vuln: clear findings' kev: %w", err)
		}
	}
	im.res.Removed = len(gone)
	return gone, nil
}

func (im *importer) writeKEV(tx *store.Tx, ks []kb.KEV) ([]string, error) {
	last := map[string]int{}
	ids := make([]string, 0, len(ks))
	for i, k := range ks {
		if _, ok := last[k.CVE]; !ok {
			ids = append(ids, k.CVE)
		}
		last[k.CVE] = i
	}
	have := map[string]string{}
	for _, chunk := range chunks(ids, 500) {
		rows, err := tx.Query(im.ctx, `SELECT cve, digest FROM vuln_kev WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("vuln: read kev: %w", err)
		}
		for rows.Next() {
			var id, d string
			if err := rows.Scan(&id, &d); err != nil {
				rows.Close()
				return nil, err
			}
			have[id] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out [][]any
	var changed []string
	for i, k := range ks {
		d := digest(k.Vendor, k.Product, k.Name, micros(k.Added), micros(k.Due), k.Ransomware, k.Action)
		if last[k.CVE] != i || have[k.CVE] == d {
			im.res.Unchanged++
			continue
		}
		im.res.Changed++
		changed = append(changed, k.CVE)
		out = append(out, []any{k.CVE, k.Vendor, k.Product, k.Name, micros(k.Added), micros(k.Due), k.Ransomware, k.Action, d})
	}
	if err := upsert(im.ctx, tx, "vuln_kev", []string{"cve", "vendor", "product", "name", "added", "due", "ransomware", "action", "digest"}, 1, out); err != nil {
		return nil, err
	}
	for _, chunk := range chunks(changed, 500) {
		if _, err := tx.Exec(im.ctx, `UPDATE findings SET kev = TRUE, kev_due = (SELECT k.due FROM vuln_kev k WHERE k.cve = findings.cve)
			WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...); err != nil {
			return nil, fmt.Errorf("vuln: refresh findings' kev: %w", err)
		}
	}
	return changed, nil
}

func (im *importer) epss(r io.Reader, name string) error {
	var pend []kb.EPSS
	flush := func() error {
		if len(pend) == 0 {
			return nil
		}
		batch := pend
		pend = nil
		return im.write(func(tx *store.Tx) ([]string, error) { return im.writeEPSS(tx, batch) })
	}
	// EPSS files are large (a quarter of a million rows) and small per
	// row: bigger batches.
	size := im.s.batch() * 10
	_, err := epss.Parse(r, name, epss.Handler{
		Header: func(h epss.Header) error { im.res.DataDate = h.Date; im.res.Document = h.Model; return nil },
		Score: func(e kb.EPSS) error {
			im.res.Records++
			im.res.Loaded++
			if err := im.tooMany(); err != nil {
				return err
			}
			pend = append(pend, e)
			if len(pend) >= size {
				return flush()
			}
			return nil
		},
		Skip: im.res.skip,
	})
	if err != nil {
		return err
	}
	return flush()
}

func (im *importer) writeEPSS(tx *store.Tx, es []kb.EPSS) ([]string, error) {
	last := map[string]int{}
	ids := make([]string, 0, len(es))
	for i, e := range es {
		if _, ok := last[e.CVE]; !ok {
			ids = append(ids, e.CVE)
		}
		last[e.CVE] = i
	}
	type score struct {
		s, p float64
		on   int64
	}
	have := map[string]score{}
	for _, chunk := range chunks(ids, 500) {
		rows, err := tx.Query(im.ctx, `SELECT cve, score, percentile, scored_on FROM vuln_epss WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("vuln: read epss: %w", err)
		}
		for rows.Next() {
			var id string
			var sc score
			if err := rows.Scan(&id, &sc.s, &sc.p, &sc.on); err != nil {
				rows.Close()
				return nil, err
			}
			have[id] = sc
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out [][]any
	var changed []string
	for i, e := range es {
		on := micros(e.Date)
		h, ok := have[e.CVE]
		if last[e.CVE] != i || (ok && ((h.s == e.Score && h.p == e.Percentile && h.on == on) || (on > 0 && h.on > on))) {
			im.res.Unchanged++
			continue
		}
		im.res.Changed++
		changed = append(changed, e.CVE)
		out = append(out, []any{e.CVE, e.Score, e.Percentile, on})
	}
	if err := upsert(im.ctx, tx, "vuln_epss", []string{"cve", "score", "percentile", "scored_on"}, 1, out); err != nil {
		return nil, err
	}
	for _, chunk := range chunks(changed, 500) {
		if _, err := tx.Exec(im.ctx, `UPDATE findings SET epss = (SELECT e.score FROM vuln_epss e WHERE e.cve = findings.cve)
			WHERE cve IN (`+marks(len(chunk))+`)`, anys(chunk)...); err != nil {
			return nil, fmt.Errorf("vuln: refresh findings' epss: %w", err)
		}
	}
	return changed, nil
}

// finish records the import: the feed's status, the import's row, the
// audit entry; and reads the knowledge base's version into res.
func (s *Service) finish(ctx context.Context, res *Result, started time.Time) error {
	now := s.now()
	actor := "system"
	if p := auth.FromContext(ctx); p != nil {
		actor = p.Email
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Error == "" {
			_, err = tx.Exec(ctx, `INSERT INTO vuln_feeds (feed, source, loaded_at, data_date, records, changed, unchanged, skipped, last_error, error_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 0)
				ON CONFLICT (feed) DO UPDATE SET source = excluded.source, loaded_at = excluded.loaded_at,
				data_date = CASE WHEN excluded.data_date > vuln_feeds.data_date THEN excluded.data_date ELSE vuln_feeds.data_date END,
				records = excluded.records, changed = excluded.changed, unchanged = excluded.unchanged, skipped = excluded.skipped, last_error = '', error_at = 0`,
				res.Feed, res.File, store.Micros(now), micros(res.DataDate), res.Records, res.Changed, res.Unchanged, res.Skipped)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO vuln_feeds (feed, source, last_error, error_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (feed) DO UPDATE SET last_error = excluded.last_error, error_at = excluded.error_at`,
				res.Feed, res.File, i18n.Clip(res.Error, 2000), store.Micros(now))
		}
		if err != nil {
			return fmt.Errorf("vuln: record feed status: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO vuln_imports (feed, source, actor, started_at, finished_at, records, changed, unchanged, skipped, data_date, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			res.Feed, res.File, actor, store.Micros(started), store.Micros(now), res.Records, res.Changed, res.Unchanged, res.Skipped, micros(res.DataDate), i18n.Clip(res.Error, 2000)); err != nil {
			return fmt.Errorf("vuln: record import: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT version FROM vuln_kb_version WHERE id = 1`).Scan(&res.Version); err != nil {
			return fmt.Errorf("vuln: read version: %w", err)
		}
		after := map[string]any{"file": res.File, "format": res.Format, "records": res.Records, "changed": res.Changed, "unchanged": res.Unchanged, "skipped": res.Skipped}
		if res.Document != "" {
			after["document"] = res.Document
		}
		if res.Error != "" {
			after["error"] = i18n.Clip(res.Error, 500)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "feed.import", ObjectType: "feed", ObjectID: strings.ToUpper(res.Feed), After: after})
	})
}

// upsert writes rows (each len(cols) values) in multi-row statements; the
// first nkey columns are the primary key.
func upsert(ctx context.Context, tx *store.Tx, table string, cols []string, nkey int, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	per := 4000 / len(cols)
	if per > 200 {
		per = 200
	}
	var set []string
	for _, c := range cols[nkey:] {
		set = append(set, c+" = excluded."+c)
	}
	tail := " ON CONFLICT (" + strings.Join(cols[:nkey], ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	one := "(" + marks(len(cols)) + ")"
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString(one)
			args = append(args, rows[i]...)
		}
		b.WriteString(tail)
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("vuln: write %s: %w", table, err)
		}
	}
	return nil
}

func marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func chunks(ss []string, n int) [][]string {
	var out [][]string
	for len(ss) > n {
		out = append(out, ss[:n])
		ss = ss[n:]
	}
	if len(ss) > 0 {
		out = append(out, ss)
	}
	return out
}

// micros is store.Micros with the zero time as 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Micros(t)
}

func digest(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			h.Write([]byte(v))
		case int64:
			h.Write([]byte(strconv.FormatInt(v, 10)))
		case int:
			h.Write([]byte(strconv.Itoa(v)))
		case float64:
			h.Write([]byte(strconv.FormatFloat(v, 'g', -1, 64)))
		case bool:
			h.Write([]byte(strconv.FormatBool(v)))
		default:
			fmt.Fprint(h, v)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
