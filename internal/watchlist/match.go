package watchlist

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/detect"
	"vigil/internal/detect/ioc"
	"vigil/internal/findings"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// entry is one warning-list entry: an indicator on a list, for all units
// or one unit's subtree.
type entry struct {
	indicatorID, listID int64
	unitPath            string // "" = every unit
	action, severity    string
	reason              string
	next                int32 // the next entry of the same value, -1 at the end
}

// group is every entry of one (kind, value).
type group struct {
	kind  string
	value string
	first int32
}

// matchSet is the lists' indicators built once for a run: the ioc.Set
// answers lookups; a hit's comment is the index of its group.
type matchSet struct {
	sig     string
	set     *ioc.Set
	live    ioc.Live
	groups  []group
	entries []entry
	lists   map[int64]listInfo
	bad     int // values ioc refused
}

type listInfo struct {
	name, month string
	retroDays   int
}

// groupOf returns the group a hit names.
func (m *matchSet) groupOf(h ioc.Hit) (int32, bool) {
	g, err := strconv.Atoi(h.Comment)
	if err != nil || g < 0 || g >= len(m.groups) {
		return 0, false
	}
	return int32(g), true
}

// entryFor returns the entry of group g that applies to an object of the
// unit at unitPath: the one targeting the deepest unit above it, else one
// for every unit. ok is false when every entry targets other units.
func (m *matchSet) entriesFor(g int32, unitPath string, out []int32) []int32 {
	out = out[:0]
	best := map[int64]int32{} // indicator -> entry
	for i := m.groups[g].first; i >= 0; i = m.entries[i].next {
		e := &m.entries[i]
		if e.unitPath != "" && !strings.HasPrefix(unitPath, e.unitPath) {
			continue
		}
		if j, ok := best[e.indicatorID]; ok && len(m.entries[j].unitPath) >= len(e.unitPath) {
			continue
		}
		best[e.indicatorID] = i
	}
	for _, i := range best {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// unitPaths reads every unit's id and path.
func unitPaths(ctx context.Context, db *store.DB) (map[int64]string, error) {
	rows, err := db.Query(ctx, `SELECT id, path FROM units`)
	if err != nil {
		return nil, fmt.Errorf("watchlist: units: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}

// publishedLists returns the lists in force (id → name), ordered by id.
func publishedLists(ctx context.Context, db *store.DB, only int64) (map[int64]listInfo, []int64, error) {
	q := `SELECT id, name, month, retro_days FROM warning_lists WHERE status = 'published'`
	var args []any
	if only > 0 {
		q += ` AND id = ?`
		args = append(args, only)
	}
	rows, err := db.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("watchlist: lists: %w", err)
	}
	defer rows.Close()
	out := map[int64]listInfo{}
	var ids []int64
	for rows.Next() {
		var id int64
		var l listInfo
		if err := rows.Scan(&id, &l.name, &l.month, &l.retroDays); err != nil {
			return nil, nil, err
		}
		out[id] = l
		ids = append(ids, id)
	}
	return out, ids, rows.Err()
}

// signature identifies the content of the published lists: a list's
// entries only change with its entry count or its newest entry.
func signature(ctx context.Context, db *store.DB, ids []int64) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		var n, last int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(added_at), 0) FROM warning_list_entries WHERE list_id = ?`, id).Scan(&n, &last); err != nil {
			return "", fmt.Errorf("watchlist: list %d: %w", id, err)
		}
		fmt.Fprintf(&b, "%d:%d:%d;", id, n, last)
	}
	return b.String(), nil
}

// build reads the entries of the lists and builds their set. Revoked
// indicators and those past their validity are left out.
func (s *Service) build(ctx context.Context, lists map[int64]listInfo, ids []int64, units map[int64]string, progress func(n int64)) (*matchSet, error) {
	m := &matchSet{lists: lists}
	b := ioc.NewBuilder()
	index := map[string]int32{}
	now := store.Micros(s.now())
	var keyBuf []byte
	var read int64
	for _, listID := range ids {
		rows, err := s.DB.Query(ctx, `SELECT e.indicator_id, e.unit_id, e.action, e.severity, e.reason, i.kind, i.value
			FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id
			WHERE e.list_id = ? AND NOT i.revoked AND (i.valid_until = 0 OR i.valid_until > ?)`, listID, now)
		if err != nil {
			return nil, fmt.Errorf("watchlist: entries of list %d: %w", listID, err)
		}
		actions := map[string]string{}
		intern := func(v string) string {
			if x, ok := actions[v]; ok {
				return x
			}
			if len(actions) < 1000 {
				actions[v] = v
			}
			return v
		}
		for rows.Next() {
			var e entry
			var unitID int64
			var kind, value string
			if err := rows.Scan(&e.indicatorID, &unitID, &e.action, &e.severity, &e.reason, &kind, &value); err != nil {
				rows.Close()
				return nil, err
			}
			read++
			if read%100000 == 0 && progress != nil {
				progress(read)
			}
			e.listID = listID
			e.action, e.severity, e.reason = intern(e.action), intern(e.severity), intern(e.reason)
			if unitID > 0 {
				p, ok := units[unitID]
				if !ok {
					continue // the unit is gone: the entry targets nothing
				}
				e.unitPath = p
			}
			keyBuf = append(append(append(keyBuf[:0], kind...), 0), strings.ToLower(strings.TrimSpace(value))...)
			g, ok := index[string(keyBuf)]
			if !ok {
				k, known := ioc.ParseKind(kind)
				if !known {
					m.bad++
					continue
				}
				g = int32(len(m.groups))
				if err := b.Add(k, value, strconv.Itoa(int(g))); err != nil {
					m.bad++
					continue
				}
				index[string(keyBuf)] = g
				m.groups = append(m.groups, group{kind: kind, value: value, first: -1})
			}
			e.next = m.groups[g].first
			m.groups[g].first = int32(len(m.entries))
			m.entries = append(m.entries, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("watchlist: entries of list %d: %w", listID, err)
		}
	}
	m.set = b.Build()
	m.live.Replace(m.set)
	return m, nil
}

// found is one sighting before it is written.
type found struct {
	group    int32
	object   string
	key      string // object key
	hostID   int64
	unitID   int64
	alertID  int64
	seen     string // the matched detail: the address, name, account, process path, or the event field
	admin    bool   // an administrator account
	hostname string
}

// hostRow is what the matcher reads of a host.
type hostRow struct {
	id, unitID int64
	hostname   string
	fqdn       string
	addresses  string
	inventory  string
}

// hostInventory is the part of asset.Inventory the matcher reads.
type hostInventory struct {
	FQDN       string `json:"fqdn"`
	Interfaces []struct {
		Addresses []string `json:"addresses"`
	} `json:"interfaces"`
	Processes []struct {
		Name   string `json:"name"`
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"processes"`
	Accounts []struct {
		Name    string `json:"name"`
		Admin   bool   `json:"admin"`
		Enabled bool   `json:"enabled"`
	} `json:"accounts"`
	LoggedOn []struct {
		User string `json:"user"`
	} `json:"logged_on"`
}

// matchHost returns what of the lists one host shows.
func (m *matchSet) matchHost(h *hostRow, unitPath string, out []found) []found {
	add := func(hit ioc.Hit, object, value, seen string, admin bool) {
		g, ok := m.groupOf(hit)
		if !ok {
			return
		}
		out = append(out, found{group: g, object: object, key: strconv.FormatInt(h.id, 10) + ":" + strings.ToLower(value),
			hostID: h.id, unitID: h.unitID, seen: seen, admin: admin, hostname: h.hostname})
	}
	addrs := strings.Fields(h.addresses)
	var inv hostInventory
	if h.inventory != "" {
		if json.Unmarshal([]byte(h.inventory), &inv) == nil {
			for _, n := range inv.Interfaces {
				for _, a := range n.Addresses {
					a, _, _ = strings.Cut(a, "/")
					if !slices.Contains(addrs, a) {
						addrs = append(addrs, a)
					}
				}
			}
		}
	}
	for _, a := range addrs {
		a, _, _ = strings.Cut(a, "/")
		ip, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		if hit, ok := m.set.LookupIP(ip); ok {
			add(hit, ObjectHostAddress, ip.String(), ip.String(), false)
		}
	}
	names := []string{h.hostname}
	if h.fqdn != "" && !strings.EqualFold(h.fqdn, h.hostname) {
		names = append(names, h.fqdn)
	}
	if inv.FQDN != "" && !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, inv.FQDN) }) {
		names = append(names, inv.FQDN)
	}
	for _, n := range names {
		if hit, ok := m.set.LookupHostname(n); ok {
			add(hit, ObjectHostname, n, n, false)
		} else if strings.Contains(n, ".") {
			if hit, ok := m.set.LookupDomain(n); ok {
				add(hit, ObjectHostname, n, n, false)
			}
		}
	}
	for _, a := range inv.Accounts {
		// A disabled account cannot log on: not a hit (verification
		// counts a disabled account as dealt with, goneFrom). One still
		// logged on is caught below.
		if !a.Enabled {
			continue
		}
		if hit, ok := m.set.LookupAccount(a.Name); ok {
			add(hit, ObjectAccount, a.Name, a.Name, a.Admin)
		}
	}
	for _, u := range inv.LoggedOn {
		if hit, ok := m.set.LookupAccount(u.User); ok {
			add(hit, ObjectAccount, u.User, u.User, slices.ContainsFunc(inv.Accounts, func(a struct {
				Name    string `json:"name"`
				Admin   bool   `json:"admin"`
				Enabled bool   `json:"enabled"`
			}) bool {
				return a.Admin && strings.EqualFold(a.Name, u.User)
			}))
		}
	}
	for _, p := range inv.Processes {
		if p.SHA256 == "" {
			continue
		}
		if hit, ok := m.set.LookupHash(p.SHA256); ok {
			what := p.Path
			if what == "" {
				what = p.Name
			}
			add(hit, ObjectFileHash, strings.ToLower(p.SHA256), what, false)
		}
	}
	return out
}

// runState is one run's counters, written to its row as it goes.
type runState struct {
	id                                         int64
	phase                                      string
	done, total                                int64
	indicators, hostsScanned, hostsMatched     int64
	alertsScanned, eventsScanned, hits, newFnd int64
	lastBeat                                   time.Time
}

func (s *Service) beat(ctx context.Context, st *runState, force bool) {
	if st.id == 0 {
		return
	}
	now := s.now()
	if !force && now.Sub(st.lastBeat) < time.Second {
		return
	}
	st.lastBeat = now
	s.DB.Exec(ctx, `UPDATE watchlist_runs SET phase = ?, done = ?, total = ?, indicators = ?, hosts_scanned = ?, hosts_matched = ?, alerts_scanned = ?,
		events_scanned = ?, hits = ?, findings_new = ?, heartbeat_at = ? WHERE id = ?`,
		st.phase, st.done, st.total, st.indicators, st.hostsScanned, st.hostsMatched, st.alertsScanned, st.eventsScanned, st.hits, st.newFnd,
		store.Micros(now), st.id)
}

// execute runs one claimed run: list 0 matches the hosts whose inventory
// changed against every published list; another matches that list against
// every host and its retro-hunt days of alerts.
func (s *Service) execute(ctx context.Context, runID, listID int64) error {
	st := &runState{id: runID, phase: PhaseIndicators}
	var err error
	if listID == 0 {
		err = s.matchInventories(ctx, st)
	} else {
		err = s.matchList(ctx, st, listID)
	}
	status, msg := RunDone, ""
	if err != nil {
		status, msg = RunFailed, err.Error()
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
	}
	st.phase = ""
	s.beat(ctx, st, true)
	if _, uerr := s.DB.Exec(ctx, `UPDATE watchlist_runs SET status = ?, error = ?, finished_at = ? WHERE id = ?`, status, msg, store.Micros(s.now()), runID); uerr != nil && err == nil {
		err = uerr
	}
	return err
}

// matchList matches one published list against every host and the
// alerts of its retro-hunt days.
func (s *Service) matchList(ctx context.Context, st *runState, listID int64) error {
	lists, ids, err := publishedLists(ctx, s.DB, listID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil // withdrawn or superseded before its turn: nothing to match
	}
	units, err := unitPaths(ctx, s.DB)
	if err != nil {
		return err
	}
	m, err := s.build(ctx, lists, ids, units, func(n int64) { st.indicators = n; s.beat(ctx, st, false) })
	if err != nil {
		return err
	}
	st.indicators = int64(len(m.entries))
	w := s.newHitWriter(ctx, st, m)
	if err := s.scanHosts(ctx, st, m, units, 0, w); err != nil {
		return err
	}
	if days := lists[listID].retroDays; days > 0 {
		since := s.now().Add(-time.Duration(days) * 24 * time.Hour)
		if err := s.scanAlerts(ctx, st, m, units, since, w); err != nil {
			return err
		}
	}
	st.phase = PhaseFindings
	if err := w.flush(); err != nil {
		return err
	}
	return audit.Log(auth.WithPrincipal(ctx, auth.System), s.DB, audit.Entry{Action: "watchlist.matched", ObjectType: "warning_list", ObjectID: strconv.FormatInt(listID, 10),
		After: map[string]any{"indicators": st.indicators, "hosts": st.hostsScanned, "hosts_matched": st.hostsMatched, "events": st.eventsScanned, "hits": st.hits, "findings_new": st.newFnd}})
}

// scanHosts matches hosts (those whose inventory came in after
// changedAfter when it is not 0) on a few goroutines.
func (s *Service) scanHosts(ctx context.Context, st *runState, m *matchSet, units map[int64]string, changedAfter int64, w *hitWriter) error {
	st.phase = PhaseHosts
	q, args := `SELECT COUNT(*) FROM hosts`, []any{}
	if changedAfter > 0 {
		q, args = q+` WHERE inventory_at > ?`, append(args, changedAfter)
	}
	if err := s.DB.QueryRow(ctx, q, args...).Scan(&st.total); err != nil {
		return fmt.Errorf("watchlist: count hosts: %w", err)
	}
	st.done = 0
	s.beat(ctx, st, true)
	sel := `SELECT id, unit_id, hostname, fqdn, addresses, inventory FROM hosts`
	if changedAfter > 0 {
		sel += ` WHERE inventory_at > ?`
	}
	rows, err := s.DB.Query(ctx, sel+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("watchlist: read hosts: %w", err)
	}
	defer rows.Close()
	workers := max(runtime.GOMAXPROCS(0), 1)
	in := make(chan []hostRow, workers*2)
	out := make(chan []found, workers*2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range in {
				var fs []found
				for i := range batch {
					fs = m.matchHost(&batch[i], units[batch[i].unitID], fs)
				}
				out <- fs
			}
		}()
	}
	var werr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for fs := range out {
			if werr != nil {
				continue
			}
			for _, f := range fs {
				if werr = w.add(f); werr != nil {
					break
				}
			}
		}
	}()
	var rerr error
	batch := make([]hostRow, 0, 256)
	for rows.Next() {
		var h hostRow
		if rerr = rows.Scan(&h.id, &h.unitID, &h.hostname, &h.fqdn, &h.addresses, &h.inventory); rerr != nil {
			break
		}
		batch = append(batch, h)
		if len(batch) == cap(batch) {
			in <- batch
			st.hostsScanned += int64(len(batch))
			st.done = st.hostsScanned
			s.beat(ctx, st, false)
			batch = make([]hostRow, 0, 256)
		}
	}
	if rerr == nil {
		rerr = rows.Err()
	}
	if len(batch) > 0 {
		in <- batch
		st.hostsScanned += int64(len(batch))
		st.done = st.hostsScanned
	}
	close(in)
	wg.Wait()
	close(out)
	<-done
	if rerr != nil {
		return fmt.Errorf("watchlist: read hosts: %w", rerr)
	}
	return werr
}

// alertRow is what the retro-hunt knows of an alert.
type alertRow struct {
	unitID, hostID int64
	host           string
}

// scanAlerts is the retro-hunt: every event kept with an alert seen since
// since, matched field by field with ioc's event matcher.
func (s *Service) scanAlerts(ctx context.Context, st *runState, m *matchSet, units map[int64]string, since time.Time, w *hitWriter) error {
	st.phase = PhaseAlerts
	cut := store.Micros(since)
	alerts := map[int64]alertRow{}
	rows, err := s.DB.Query(ctx, `SELECT id, unit_id, host_id, host FROM alerts WHERE last_seen >= ?`, cut)
	if err != nil {
		return fmt.Errorf("watchlist: read alerts: %w", err)
	}
	for rows.Next() {
		var id int64
		var a alertRow
		if err := rows.Scan(&id, &a.unitID, &a.hostID, &a.host); err != nil {
			rows.Close()
			return err
		}
		alerts[id] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("watchlist: read alerts: %w", err)
	}
	st.alertsScanned = int64(len(alerts))
	if len(alerts) == 0 {
		return nil
	}
	var lo, hi int64
	if err := s.DB.QueryRow(ctx, `SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM alert_events`).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("watchlist: read alert events: %w", err)
	}
	st.total, st.done = hi-lo+1, 0
	s.beat(ctx, st, true)
	// The id range is split among readers (each its own connection), each
	// parsing and matching its rows: on SQLite reading is most of the work.
	readers := max(runtime.GOMAXPROCS(0), 1)
	span := (hi - lo + int64(readers)) / int64(readers)
	type result struct {
		fs          []found
		events, ids int64
	}
	out := make(chan result, readers*2)
	var wg sync.WaitGroup
	errc := make(chan error, readers)
	for r := range readers {
		from, to := lo+int64(r)*span, min(lo+int64(r+1)*span-1, hi)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- s.scanEventRange(ctx, m, alerts, cut, from, to, func(fs []found, events, ids int64) {
				out <- result{fs, events, ids}
			})
		}()
	}
	go func() { wg.Wait(); close(out) }()
	var werr error
	seen := map[[2]int64]bool{}
	for r := range out {
		st.eventsScanned += r.events
		st.done += r.ids
		s.beat(ctx, st, false)
		if werr != nil {
			continue
		}
		for _, f := range r.fs {
			k := [2]int64{int64(f.group), f.alertID}
			if seen[k] {
				continue
			}
			if len(seen) < 1<<20 {
				seen[k] = true
			}
			if werr = w.add(f); werr != nil {
				break
			}
		}
	}
	for range readers {
		if err := <-errc; err != nil {
			return err
		}
	}
	return werr
}

// eventBatch is the ids one reader query covers.
const eventBatch = 50000

func (s *Service) scanEventRange(ctx context.Context, m *matchSet, alerts map[int64]alertRow, cut, from, to int64,
	emit func(fs []found, events, ids int64)) error {
	mt := ioc.NewMatcher(&m.live)
	var ev detect.Event
	// RawBytes: the row's bytes without a copy, valid until the next
	// Next; the fields parsed from them point into them and are used
	// before then (what a hit keeps is copied).
	var fields sql.RawBytes
	for start := from; start <= to; start += eventBatch {
		end := min(start+eventBatch-1, to)
		rows, err := s.DB.Query(ctx, `SELECT alert_id, fields FROM alert_events WHERE id >= ? AND id <= ? AND at >= ?`, start, end, cut)
		if err != nil {
			return fmt.Errorf("watchlist: read alert events: %w", err)
		}
		var fs []found
		var events int64
		for rows.Next() {
			var alertID int64
			if err := rows.Scan(&alertID, &fields); err != nil {
				rows.Close()
				return fmt.Errorf("watchlist: read alert events: %w", err)
			}
			events++
			a, ok := alerts[alertID]
			if !ok {
				continue
			}
			ev.Fields = parseFlat(fields, ev.Fields[:0])
			for _, hit := range mt.Match(&ev) {
				g, ok := m.groupOf(hit.Hit)
				if !ok {
					continue
				}
				what := hit.Field // the event's field; the page says it in words (watchlist.seen.alert)
				fs = append(fs, found{group: g, object: ObjectAlert, key: strconv.FormatInt(alertID, 10), hostID: a.hostID, unitID: a.unitID,
					alertID: alertID, seen: what, hostname: a.host})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("watchlist: read alert events: %w", err)
		}
		emit(fs, events, end-start+1)
	}
	return nil
}

// parseFlat reads a flat JSON object of string values (the fields of a
// kept alert event) into fields, without allocating for values that need
// no unescaping beyond the one input copy. Values that are not strings
// are skipped; a malformed object yields the fields read before the
// fault.
func parseFlat(b []byte, fields []detect.Field) []detect.Field {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fields
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			return fields
		}
		if b[i] == ',' {
			i++
			continue
		}
		name, j, ok := readString(b, i)
		if !ok {
			return fields
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return fields
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return fields
		}
		if b[i] != '"' {
			// a number, literal, array or object: skip to the next comma
			// at this depth.
			depth := 0
			for ; i < len(b); i++ {
				c := b[i]
				if c == '"' {
					_, k, ok := readString(b, i)
					if !ok {
						return fields
					}
					i = k - 1
					continue
				}
				if c == '{' || c == '[' {
					depth++
				} else if c == '}' || c == ']' {
					if depth == 0 {
						return fields
					}
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
			}
			continue
		}
		value, j, ok := readString(b, i)
		if !ok {
			return fields
		}
		i = j
		fields = append(fields, detect.Field{Name: name, Value: value})
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// readString reads the JSON string starting at b[i] ('"'), returning it
// and the index after its closing quote. A string without escapes is
// returned without a copy: it points into b (the caller keeps b alive and
// unchanged while it uses the string). One with escapes is decoded into a
// new string.
func readString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	start := i + 1
	for j := start; j < len(b); j++ {
		switch b[j] {
		case '"':
			if j == start {
				return "", j + 1, true
			}
			return unsafe.String(&b[start], j-start), j + 1, true
		case '\\':
			return unescape(b, start, j)
		}
	}
	return "", i, false
}

// unescape decodes a JSON string whose first escape is at b[esc].
func unescape(b []byte, start, esc int) (string, int, bool) {
	out := make([]byte, 0, esc-start+16)
	out = append(out, b[start:esc]...)
	for j := esc; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return string(out), j + 1, true
		case c != '\\':
			out = append(out, c)
			continue
		}
		if j+1 >= len(b) {
			return "", start - 1, false
		}
		j++
		switch b[j] {
		case '"', '\\', '/':
			out = append(out, b[j])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			if j+4 >= len(b) {
				return "", start - 1, false
			}
			r, ok := hex4(b[j+1 : j+5])
			if !ok {
				return "", start - 1, false
			}
			j += 4
			if utf16.IsSurrogate(r) && j+6 < len(b) && b[j+1] == '\\' && b[j+2] == 'u' {
				if r2, ok := hex4(b[j+3 : j+7]); ok {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						j += 6
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", start - 1, false
		}
	}
	return "", start - 1, false
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// matchInventories matches the hosts whose inventory came in since the
// last pass against every published list. A run row is recorded only
// when there is something to match.
func (s *Service) matchInventories(ctx context.Context, st *runState) error {
	var cursor int64
	err := s.DB.QueryRow(ctx, `SELECT inventory_at FROM watchlist_cursor WHERE id = 1`).Scan(&cursor)
	if err != nil && !store.IsNoRows(err) {
		return fmt.Errorf("watchlist: cursor: %w", err)
	}
	var newest int64
	if err := s.DB.QueryRow(ctx, `SELECT COALESCE(MAX(inventory_at), 0) FROM hosts`).Scan(&newest); err != nil {
		return fmt.Errorf("watchlist: hosts: %w", err)
	}
	if newest <= cursor {
		return nil
	}
	lists, ids, err := publishedLists(ctx, s.DB, 0)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		units, err := unitPaths(ctx, s.DB)
		if err != nil {
			return err
		}
		sig, err := signature(ctx, s.DB, ids)
		if err != nil {
			return err
		}
		s.mu.Lock()
		m := s.cache
		s.mu.Unlock()
		if m == nil || m.sig != sig {
			if m, err = s.build(ctx, lists, ids, units, nil); err != nil {
				return err
			}
			m.sig = sig
			s.mu.Lock()
			s.cache = m
			s.mu.Unlock()
		}
		st.indicators = int64(len(m.entries))
		w := s.newHitWriter(ctx, st, m)
		if err := s.scanHosts(ctx, st, m, units, cursor, w); err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	_, err = s.DB.Exec(ctx, `INSERT INTO watchlist_cursor (id, inventory_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET inventory_at = excluded.inventory_at`, newest)
	return err
}

// Rematch matches the hosts whose inventory changed since its last pass
// against every published list (a job every minute): a host enrolled
// after a list was published is caught. It records a run only when some
// inventory changed and a list is in force.
func (s *Service) Rematch(ctx context.Context) error {
	var cursor, newest int64
	err := s.DB.QueryRow(ctx, `SELECT inventory_at FROM watchlist_cursor WHERE id = 1`).Scan(&cursor)
	if err != nil && !store.IsNoRows(err) {
		return fmt.Errorf("watchlist: cursor: %w", err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT COALESCE(MAX(inventory_at), 0) FROM hosts`).Scan(&newest); err != nil {
		return fmt.Errorf("watchlist: hosts: %w", err)
	}
	if newest <= cursor {
		return nil
	}
	var lists int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM warning_lists WHERE status = 'published'`).Scan(&lists); err != nil {
		return err
	}
	if lists == 0 {
		_, err = s.DB.Exec(ctx, `INSERT INTO watchlist_cursor (id, inventory_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET inventory_at = excluded.inventory_at`, newest)
		return err
	}
	if err := s.queue(ctx, 0, CauseInventory, "system"); err != nil {
		return err
	}
	_, err = s.RunPending(ctx)
	return err
}

// hitWriter stores hits and files their findings, in batches.
type hitWriter struct {
	s       *Service
	ctx     context.Context
	st      *runState
	m       *matchSet
	pending []found
	ents    []int32
	hosts   map[int64]struct{} // hosts that got a hit from their inventory
}

func (s *Service) newHitWriter(ctx context.Context, st *runState, m *matchSet) *hitWriter {
	return &hitWriter{s: s, ctx: ctx, st: st, m: m, hosts: map[int64]struct{}{}}
}

const hitBatch = 500

func (w *hitWriter) add(f found) error {
	w.pending = append(w.pending, f)
	if len(w.pending) >= hitBatch {
		return w.flush()
	}
	return nil
}

// flush writes the pending hits in one transaction: each upserted once
// per (indicator, object), each with a host filed as (or updating) its
// finding.
func (w *hitWriter) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	units, err := unitPaths(w.ctx, w.s.DB)
	if err != nil {
		return err
	}
	now := w.s.now()
	at := store.Micros(now)
	hits, newFnd := w.st.hits, w.st.newFnd
	var matched map[int64]struct{}
	err = w.s.DB.InTx(w.ctx, func(tx *store.Tx) error {
		// A retried transaction counts again from the start.
		w.st.hits, w.st.newFnd, matched = hits, newFnd, map[int64]struct{}{}
		for _, f := range w.pending {
			g := &w.m.groups[f.group]
			w.ents = w.m.entriesFor(f.group, units[f.unitID], w.ents)
			for _, ei := range w.ents {
				e := &w.m.entries[ei]
				action := e.action
				if action == "" {
					action = requiredAction(g.kind, f.object, f.admin)
				}
				sev := e.severity
				if !slices.Contains(findings.Severities, sev) {
					sev = findings.SeverityHigh
				}
				list := w.m.lists[e.listID]
				var hitID, findingID, wasList int64
				var findingStatus string
				key := clip(f.key, 600)
				err := tx.QueryRow(w.ctx, `SELECT w.id, w.list_id, w.finding_id, COALESCE(f.status, '') FROM watchlist_hits w LEFT JOIN findings f ON f.id = w.finding_id
					WHERE w.indicator_id = ? AND w.object_kind = ? AND w.object_key = ?`, e.indicatorID, f.object, key).Scan(&hitID, &wasList, &findingID, &findingStatus)
				switch {
				case store.IsNoRows(err):
					err = tx.QueryRow(w.ctx, `INSERT INTO watchlist_hits (indicator_id, list_id, object_kind, object_key, host_id, unit_id, alert_id, seen, action, reason, severity, first_at, last_at)
						VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
						e.indicatorID, e.listID, f.object, key, f.hostID, f.unitID, f.alertID, clip(f.seen, 500), action, clip(e.reason, 1000), sev, at, at).Scan(&hitID)
				case err == nil:
					_, err = tx.Exec(w.ctx, `UPDATE watchlist_hits SET list_id = ?, seen = ?, action = ?, reason = ?, severity = ?, last_at = ?, unit_id = ?, host_id = ? WHERE id = ?`,
						e.listID, clip(f.seen, 500), action, clip(e.reason, 1000), sev, at, f.unitID, f.hostID, hitID)
				}
				if err != nil {
					return fmt.Errorf("watchlist: store hit: %w", err)
				}
				w.st.hits++
				if f.object != ObjectAlert && f.hostID > 0 {
					matched[f.hostID] = struct{}{}
				}
				if f.hostID == 0 {
					continue
				}
				// Seen again by the same list after it was closed (a host
				// cleaned keeps its address): the list is not news. A later
				// list naming it again reopens the finding.
				if findingID > 0 && findingStatus != "" && !findings.IsActive(findingStatus) && wasList == e.listID {
					continue
				}
				fkey := "wl:" + g.kind + ":" + strings.ToLower(g.value)
				if f.object == ObjectAlert {
					fkey += ":alert"
				}
				title := g.value
				if e.reason != "" {
					title += " — " + e.reason
				} else if list.name != "" {
					title += " — " + list.name
				}
				fid, outcome, err := findings.Record(w.ctx, tx, findings.Observation{
					HostID: f.hostID, Kind: findings.KindWarningList, Key: fkey, Title: title, Severity: sev, Source: list.name, SeenAt: now,
					Evidence: findings.WarningListEvidence{List: list.name, IndicatorType: g.kind, Indicator: g.value, Comment: e.reason, Seen: f.seen,
						Action: action, Reason: e.reason, Object: f.object, ListID: e.listID, Month: list.month},
				})
				if err != nil {
					return err
				}
				if outcome == findings.Created {
					w.st.newFnd++
				}
				if fid != findingID {
					if _, err := tx.Exec(w.ctx, `UPDATE watchlist_hits SET finding_id = ? WHERE id = ?`, fid, hitID); err != nil {
						return fmt.Errorf("watchlist: store hit: %w", err)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Hosts matched: those that got at least one hit after unit
	// targeting (entriesFor), not every host the set named.
	for h := range matched {
		w.hosts[h] = struct{}{}
	}
	w.st.hostsMatched = int64(len(w.hosts))
	w.pending = w.pending[:0]
	w.s.beat(w.ctx, w.st, false)
	return nil
}

func clip(s string, n int) string { return i18n.Clip(s, n) }
