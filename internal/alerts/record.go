package alerts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/i18n"
	"vigil/internal/store"
)

// group is an alert still taking matches, as the index of open groups
// knows it. The index is a cache: the unique open_key in the database is
// the truth, so an entry another hub process changed is found out when its
// update touches no row.
type group struct {
	id          int64
	first, last int64 // match times, µs
	touched     time.Time
}

// resolved is one match after attribution.
type resolved struct {
	m        *Match
	at       int64 // µs
	severity string
	host     string
	hostKey  string
	hostID   int64
	unitID   int64
	unitPath string
	openKey  string
	groupKey string
}

// segment is the matches of one group in one batch: all join an existing
// alert (target) or make a new one.
type segment struct {
	openKey     string
	target      int64 // alert id the cache says takes them; 0 for a new alert
	retire      int64 // an alert whose window has passed: it stops taking matches
	first, last int64
	matches     []*resolved // in time order
}

// Record files a batch of matches: grouped into alerts, attributed to a
// host and unit, suppressed ones counted on their suppression rule, all in
// one transaction. It is safe to call from several goroutines (they take
// turns) and from several hub processes sharing the database.
func (s *Service) Record(ctx context.Context, matches []Match) error {
	if len(matches) == 0 {
		return nil
	}
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	now := s.now()
	if err := s.loadCaches(ctx, now); err != nil {
		return err
	}
	if s.groups == nil {
		s.groups = map[string]*group{}
	}
	if now.Sub(s.swept) > time.Minute {
		s.sweep(now)
	}
	window := s.window().Microseconds()

	// Attribute, suppress and gather each group's matches.
	hits := map[int64]int64{}
	byKey := map[string][]*resolved{}
	var order []string
	for i := range matches {
		r := s.resolve(&matches[i], now)
		if id := s.sups.match(r, now); id != 0 {
			hits[id]++
			continue
		}
		if _, ok := byKey[r.openKey]; !ok {
			order = append(order, r.openKey)
		}
		byKey[r.openKey] = append(byKey[r.openKey], r)
	}

	// Cut each group's matches into segments by the window, against the
	// open group the index knows.
	var segs []*segment
	for _, k := range order {
		rs := byKey[k]
		slices.SortStableFunc(rs, func(a, b *resolved) int { return cmpInt(a.at, b.at) })
		var cur *segment
		if g := s.groups[k]; g != nil {
			cur = &segment{openKey: k, target: g.id, first: g.first, last: g.last}
		}
		for _, r := range rs {
			if cur != nil && r.at <= cur.last+window && r.at >= cur.first-window {
				cur.matches = append(cur.matches, r)
				cur.first, cur.last = min(cur.first, r.at), max(cur.last, r.at)
				continue
			}
			if cur != nil && len(cur.matches) > 0 {
				segs = append(segs, cur)
			}
			next := &segment{openKey: k, first: r.at, last: r.at, matches: []*resolved{r}}
			if cur != nil {
				next.retire = cur.target
				if next.retire == 0 && cur.target == 0 {
					next.retire = -1 // the previous segment of this batch: retired by id once written
				}
			}
			cur = next
		}
		if cur != nil && len(cur.matches) > 0 {
			segs = append(segs, cur)
		}
	}

	written := make([]group, len(segs))
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		w, err := s.newWriter(ctx, tx, now)
		if err != nil {
			return err
		}
		defer w.close()
		// New groups go in by multi-row INSERTs; the rest (existing
		// alerts, a group the window cut in two, a group another process
		// holds) one by one.
		done, err := w.insertNew(segs, written)
		if err != nil {
			return err
		}
		prev := map[string]int64{} // open key → alert last written in this batch
		for i, sg := range segs {
			if done[i] {
				prev[sg.openKey] = written[i].id
				continue
			}
			if sg.retire == -1 {
				sg.retire = prev[sg.openKey]
			}
			g, err := w.write(sg, window)
			if err != nil {
				return err
			}
			written[i] = g
			prev[sg.openKey] = g.id
		}
		if err := w.flush(); err != nil {
			return err
		}
		for id, n := range hits {
			if _, err := w.hit.ExecContext(ctx, n, store.Micros(now), id); err != nil {
				return fmt.Errorf("alerts: count suppressed matches: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		for _, k := range order {
			delete(s.groups, k)
		}
		return err
	}
	for i, sg := range segs {
		g := written[i]
		g.touched = now
		s.groups[sg.openKey] = &g
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sweep drops index entries untouched for two windows: their alerts are
// found again through the database if a match comes.
func (s *Service) sweep(now time.Time) {
	s.swept = now
	limit := 2 * s.window()
	for k, g := range s.groups {
		if now.Sub(g.touched) > limit {
			delete(s.groups, k)
		}
	}
}

// resolve attributes a match to a host and unit and computes its group.
func (s *Service) resolve(m *Match, now time.Time) *resolved {
	r := &resolved{m: m, severity: SeverityOf(m.Level)}
	t := m.Time
	if t.IsZero() {
		t = now
	}
	r.at = store.Micros(t)
	if h, ok := s.inv.attribute(m); ok {
		r.hostID, r.host, r.hostKey, r.unitID = h.id, h.name, hostKey(h.name), h.unitID
	} else {
		r.host = strings.TrimSpace(m.Host)
		if r.host == "" {
			for _, a := range m.Addresses {
				if a = strings.TrimSpace(a); a != "" {
					r.host = a
					break
				}
			}
		}
		r.host = i18n.Clip(r.host, 255)
		r.hostKey = hostKey(r.host)
		r.unitID = m.UnitID
		if _, ok := s.inv.unitPath[r.unitID]; !ok {
			r.unitID = s.inv.root
		}
	}
	r.unitPath = s.inv.unitPath[r.unitID]
	r.groupKey = i18n.Clip(m.Key, 1000)
	ident := m.RuleID + "\x1f" + strconv.FormatInt(r.unitID, 10) + "\x1f"
	if r.hostID != 0 {
		ident += "#" + strconv.FormatInt(r.hostID, 10)
	} else {
		ident += r.hostKey
	}
	sum := sha256.Sum256([]byte(ident + "\x1f" + m.Key))
	r.openKey = hex.EncodeToString(sum[:16])
	return r
}

// hostKey is the matching key of a host name: lower-case, short name (an
// address stays whole).
func hostKey(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if _, err := netip.ParseAddr(name); err == nil {
		return name
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name
}

// writer holds the statements one batch repeats.
type writer struct {
	ctx                                       context.Context
	tx                                        *store.Tx
	now                                       int64
	update, insert, byKey, retire, prune, hit *sql.Stmt
	rebind                                    func(string) string
	events                                    []any // rows waiting for one multi-row INSERT, eventColumns values each
}

const (
	eventColumns = 5
	eventChunk   = 200 // rows per INSERT: a few statements per batch, far below both engines' parameter limits
)

// keep queues a kept event; rows go in by eventChunk.
func (w *writer) keep(alertID, seq int64, r *resolved) error {
	w.events = append(w.events, alertID, seq, r.at, r.m.SourceID, eventJSON(r.m))
	if len(w.events) >= eventChunk*eventColumns {
		return w.flush()
	}
	return nil
}

// flush inserts the queued events.
func (w *writer) flush() error {
	n := len(w.events) / eventColumns
	if n == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO alert_events (alert_id, seq, at, source_id, fields) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?)")
	}
	if _, err := w.tx.Tx.ExecContext(w.ctx, w.rebind(q.String()), w.events...); err != nil {
		return fmt.Errorf("alerts: keep events: %w", err)
	}
	w.events = w.events[:0]
	return nil
}

func (s *Service) newWriter(ctx context.Context, tx *store.Tx, now time.Time) (*writer, error) {
	w := &writer{ctx: ctx, tx: tx, now: store.Micros(now), rebind: s.DB.Rebind}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.update, `UPDATE alerts SET match_count = match_count + ?,
			first_seen = CASE WHEN first_seen > ? THEN ? ELSE first_seen END,
			last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END, changed_at = ?
			WHERE id = ? AND open_key = ? RETURNING match_count, first_seen, last_seen`},
		{&w.insert, `INSERT INTO alerts (rule_id, rule_title, severity, severity_rank, group_key, open_key, host, host_key, host_id, unit_id, source_id,
			match_count, first_seen, last_seen, status, status_since, created_at, changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) ON CONFLICT (open_key) DO NOTHING RETURNING id`},
		{&w.byKey, `SELECT id, first_seen, last_seen FROM alerts WHERE open_key = ?`},
		{&w.retire, `UPDATE alerts SET open_key = NULL WHERE id = ?`},
		{&w.prune, `DELETE FROM alert_events WHERE alert_id = ? AND seq > ? AND seq <= ?`},
		{&w.hit, `UPDATE alert_suppressions SET hits = hits + ?, last_hit_at = ? WHERE id = ?`},
	} {
		st, err := tx.Tx.PrepareContext(ctx, s.DB.Rebind(p.q))
		if err != nil {
			w.close()
			return nil, fmt.Errorf("alerts: prepare: %w", err)
		}
		*p.st = st
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.update, w.insert, w.byKey, w.retire, w.prune, w.hit} {
		if st != nil {
			st.Close()
		}
	}
}

// write files one segment and returns the group it leaves open.
func (w *writer) write(sg *segment, window int64) (group, error) {
	n := int64(len(sg.matches))
	first, last := sg.matches[0].at, sg.matches[len(sg.matches)-1].at
	if sg.retire > 0 {
		if _, err := w.retire.ExecContext(w.ctx, sg.retire); err != nil {
			return group{}, fmt.Errorf("alerts: close a group's window: %w", err)
		}
	}
	id, total, gfirst, glast := sg.target, int64(0), int64(0), int64(0)
	if id != 0 {
		err := w.update.QueryRowContext(w.ctx, n, first, first, last, last, w.now, id, sg.openKey).Scan(&total, &gfirst, &glast)
		switch {
		case store.IsNoRows(err): // closed meanwhile, or the index was stale
			id = 0
		case err != nil:
			return group{}, fmt.Errorf("alerts: add to alert %d: %w", id, err)
		}
	}
	for attempt := 0; id == 0; attempt++ {
		r := sg.matches[0]
		err := w.insert.QueryRowContext(w.ctx, i18n.Clip(r.m.RuleID, 200), ruleTitle(r.m), r.severity, Rank(r.severity), r.groupKey, sg.openKey,
			r.host, r.hostKey, r.hostID, r.unitID, r.m.SourceID, n, first, last, w.now, w.now, w.now).Scan(&id)
		if err == nil {
			total, gfirst, glast = n, first, last
			break
		}
		if !store.IsNoRows(err) {
			return group{}, fmt.Errorf("alerts: new alert for rule %s: %w", r.m.RuleID, err)
		}
		if attempt > 0 {
			return group{}, fmt.Errorf("alerts: new alert for rule %s: the group stays taken", r.m.RuleID)
		}
		// Another process (or an alert the index forgot) holds the group.
		var oid, ofirst, olast int64
		if err := w.byKey.QueryRowContext(w.ctx, sg.openKey).Scan(&oid, &ofirst, &olast); err != nil && !store.IsNoRows(err) {
			return group{}, fmt.Errorf("alerts: find open group: %w", err)
		} else if err == nil {
			if first <= olast+window && last >= ofirst-window {
				err := w.update.QueryRowContext(w.ctx, n, first, first, last, last, w.now, oid, sg.openKey).Scan(&total, &gfirst, &glast)
				if err != nil {
					return group{}, fmt.Errorf("alerts: add to alert %d: %w", oid, err)
				}
				id = oid
				break
			}
			if _, err := w.retire.ExecContext(w.ctx, oid); err != nil {
				return group{}, fmt.Errorf("alerts: close a group's window: %w", err)
			}
		}
	}
	if err := w.keepEvents(id, total, sg); err != nil {
		return group{}, err
	}
	return group{id: id, first: gfirst, last: glast}, nil
}

// keepEvents keeps the segment's matched events that are among the first
// KeepFirst and the last KeepLast of the alert (total matches so far), and
// drops older kept ones that are no longer among the last.
func (w *writer) keepEvents(id, total int64, sg *segment) error {
	// The batch's matches are numbers total-n+1 .. total of the alert.
	n := int64(len(sg.matches))
	base := total - n
	for i, r := range sg.matches {
		seq := base + int64(i) + 1
		if (seq > KeepFirst && seq <= total-KeepLast) || r.m.Event == nil {
			continue
		}
		if err := w.keep(id, seq, r); err != nil {
			return err
		}
	}
	if base > KeepFirst && total-KeepLast > KeepFirst {
		if err := w.flush(); err != nil { // the rows to prune may be among those waiting
			return err
		}
		if _, err := w.prune.ExecContext(w.ctx, id, KeepFirst, total-KeepLast); err != nil {
			return fmt.Errorf("alerts: drop old events: %w", err)
		}
	}
	return nil
}

const (
	alertColumns = 17
	alertChunk   = 200
)

// insertNew files the batch's new groups (no alert in the index, first of
// their key in the batch) with multi-row INSERTs and marks them done; a
// group another process holds is left for write.
func (w *writer) insertNew(segs []*segment, written []group) ([]bool, error) {
	done := make([]bool, len(segs))
	var chunk []int
	seen := map[string]bool{}
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO alerts (rule_id, rule_title, severity, severity_rank, group_key, open_key, host, host_key, host_id, unit_id, source_id,
			match_count, first_seen, last_seen, status_since, created_at, changed_at) VALUES `)
		args := make([]any, 0, len(chunk)*alertColumns)
		byKey := map[string]int{}
		for j, i := range chunk {
			sg := segs[i]
			r := sg.matches[0]
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, i18n.Clip(r.m.RuleID, 200), ruleTitle(r.m), r.severity, Rank(r.severity), r.groupKey, sg.openKey,
				r.host, r.hostKey, r.hostID, r.unitID, r.m.SourceID, int64(len(sg.matches)), sg.matches[0].at, sg.matches[len(sg.matches)-1].at, w.now, w.now, w.now)
			byKey[sg.openKey] = i
		}
		q.WriteString(` ON CONFLICT (open_key) DO NOTHING RETURNING id, open_key`)
		rows, err := w.tx.Tx.QueryContext(w.ctx, w.rebind(q.String()), args...)
		if err != nil {
			return fmt.Errorf("alerts: new alerts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				return fmt.Errorf("alerts: new alerts: %w", err)
			}
			i := byKey[key]
			sg := segs[i]
			done[i] = true
			written[i] = group{id: id, first: sg.matches[0].at, last: sg.matches[len(sg.matches)-1].at}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("alerts: new alerts: %w", err)
		}
		rows.Close()
		for _, i := range chunk {
			if done[i] {
				if err := w.keepEvents(written[i].id, int64(len(segs[i].matches)), segs[i]); err != nil {
					return err
				}
			}
		}
		chunk = chunk[:0]
		return nil
	}
	for i, sg := range segs {
		if sg.target != 0 || sg.retire != 0 || seen[sg.openKey] {
			continue
		}
		seen[sg.openKey] = true
		chunk = append(chunk, i)
		if len(chunk) == alertChunk {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return done, flush()
}

// ruleTitle is the match's rule title, its id when it has none.
func ruleTitle(m *Match) string {
	if strings.TrimSpace(m.RuleTitle) == "" {
		return i18n.Clip(m.RuleID, 500)
	}
	return i18n.Clip(m.RuleTitle, 500)
}

// eventJSON is a matched event's fields as one JSON object in the event's
// order, at most MaxEventBytes: long values are cut, and fields past the
// limit are left out with a note saying how many.
func eventJSON(m *Match) string {
	e := m.Event
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	put := func(k, v string) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	if e.Host != "" {
		put("_host", i18n.Clip(e.Host, 255))
	}
	if e.Source != "" {
		put("_source", i18n.Clip(e.Source, 255))
	}
	seen := map[string]int{}
	for i, f := range e.Fields {
		name := i18n.Clip(f.Name, 128)
		if c := seen[name]; c > 0 {
			seen[name]++
			name += "#" + strconv.Itoa(c+1)
		} else {
			seen[name] = 1
		}
		v := i18n.Clip(f.Value, 2048)
		if b.Len()+len(name)+len(v)+64 > MaxEventBytes {
			put("_truncated", strconv.Itoa(len(e.Fields)-i)+" fields left out")
			break
		}
		put(name, v)
	}
	b.WriteByte('}')
	return b.String()
}
