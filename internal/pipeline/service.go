package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/sigma"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Service manages the rules (directory and UI), their exceptions and
// the indicators, and keeps an Engine's sets current. In a process that
// does not detect (role web) Engine is nil and only the management
// methods are used.
type Service struct {
	DB     *store.DB
	Engine *Engine  // nil when this process does not detect
	Dirs   []string // rules directories or files (--rules)
	// Indicators supply the hub's indicators (hosts' indicator sources,
	// warning lists to come).
	Indicators []IndicatorProvider
	Logger     *slog.Logger
	Metrics    *Metrics
	Now        func() time.Time
	// Poll is how often the rules version, the directory and the
	// indicators' versions are checked (3 s when 0).
	Poll time.Duration

	poke      chan struct{}
	pokeOnce  sync.Once
	reloadMu  sync.Mutex
	version   atomic.Int64 // rules_version applied
	dirSig    string
	dirErr    string // why the rules directory could not be read, if it could not
	dirRules  []*sigma.Rule
	dirErrs   []*sigma.RuleError
	indSig    string
	lastBuilt atomic.Pointer[Ruleset]

	iocRows atomic.Bool // the indicator kinds are in the rules table
	failed  atomic.Bool // the last reload failed; the next poll tries again

	phMu  sync.Mutex
	ph    map[string][]string // placeholders computed for phSig
	phSig string              // the hosts table's shape when they were
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) pokeCh() chan struct{} {
	s.pokeOnce.Do(func() { s.poke = make(chan struct{}, 1) })
	return s.poke
}

// Poke asks the running loop (Start) to reload the rules now rather than
// at its next poll.
func (s *Service) Poke() {
	select {
	case s.pokeCh() <- struct{}{}:
	default:
	}
}

// IndicatorProvider supplies indicators to match events against. Version
// changes when the indicators do ("" when the provider cannot tell: it
// is then read again every IndicatorRefresh); Add adds them to b.
type IndicatorProvider interface {
	Version(ctx context.Context) (string, error)
	Add(ctx context.Context, b *ioc.Builder) (int, error)
}

// IndicatorRefresh is how often providers that cannot tell their version
// are read again.
const IndicatorRefresh = 5 * time.Minute

// Start reloads the rules and the indicators once, then keeps them
// current until ctx ends: a change made in this process at once, the
// database version (changes from other processes) and the rules
// directory's files every Poll, indicators when their version changes.
// Hits per rule are written every 30 s.
func (s *Service) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if err := s.Reload(ctx); err != nil {
		s.logger().Error("rules: first load failed", "err", err)
	}
	if err := s.ReloadIndicators(ctx, true); err != nil {
		s.logger().Error("indicators: first load failed", "err", err)
	}
	go func() {
		defer close(done)
		poll := s.Poll
		if poll <= 0 {
			poll = 3 * time.Second
		}
		t := time.NewTicker(poll)
		defer t.Stop()
		lastHits, lastInd := time.Now(), time.Now()
		for {
			select {
			case <-ctx.Done():
				s.flushHits(context.Background())
				return
			case <-s.pokeCh():
				if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
					s.logger().Error("rules: reload failed", "err", err)
				}
			case <-t.C:
				if changed, err := s.changed(ctx); err != nil {
					if ctx.Err() == nil {
						s.logger().Warn("rules: checking for changes failed", "err", err)
					}
				} else if changed {
					if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
						s.logger().Error("rules: reload failed", "err", err)
					}
				}
				force := time.Since(lastInd) >= IndicatorRefresh
				if err := s.ReloadIndicators(ctx, force); err != nil && ctx.Err() == nil {
					s.logger().Error("indicators: reload failed", "err", err)
				}
				if force {
					lastInd = time.Now()
				}
				if time.Since(lastHits) >= 30*time.Second {
					s.flushHits(ctx)
					lastHits = time.Now()
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// changed reports whether the database's rules version or the rules
// directory changed since the last reload.
func (s *Service) changed(ctx context.Context) (bool, error) {
	var v int64
	if err := s.DB.QueryRow(ctx, `SELECT version FROM rules_version WHERE id = 1`).Scan(&v); err != nil {
		return false, fmt.Errorf("pipeline: rules version: %w", err)
	}
	if v != s.version.Load() || s.failed.Load() {
		return true, nil // changed, or the last reload failed: try again
	}
	sig, _, err := dirSignature(s.Dirs)
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if err != nil {
		return err.Error() != s.dirErr, nil // a new failure is worth a reload (and a log line)
	}
	return sig != s.dirSig || s.dirErr != "", nil
}

// dirSignature sums the rule files' names, sizes and modification times,
// so a poll notices an added, removed or edited rule without reading it.
func dirSignature(dirs []string) (string, []string, error) {
	h := sha256.New()
	var files []string
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				return nil
			}
			ext := strings.ToLower(filepath.Ext(path))
			if path != d && ext != ".yml" && ext != ".yaml" {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			files = append(files, path)
			fmt.Fprintf(h, "%s\x00%d\x00%d\n", path, info.Size(), info.ModTime().UnixNano())
			return nil
		})
		if err != nil {
			return "", nil, fmt.Errorf("pipeline: rules directory: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), files, nil
}

// parseFiles parses rule files on every core, keeping the files' order.
func parseFiles(files []string) ([]*sigma.Rule, []*sigma.RuleError) {
	type parsed struct {
		rules []*sigma.Rule
		errs  []error
		err   error
	}
	out := make([]parsed, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				data, err := os.ReadFile(files[i])
				if err != nil {
					out[i].err = err
					continue
				}
				out[i].rules, out[i].errs = sigma.Parse(data, files[i])
			}
		}()
	}
	wg.Wait()
	var rules []*sigma.Rule
	var bad []*sigma.RuleError
	for i, p := range out {
		if p.err != nil {
			bad = append(bad, &sigma.RuleError{Path: files[i], Err: p.err})
			continue
		}
		for _, e := range p.errs {
			re := &sigma.RuleError{Path: files[i], Err: e}
			if pe, ok := e.(*sigma.ParseError); ok {
				re.ID = pe.ID
			}
			bad = append(bad, re)
		}
		rules = append(rules, p.rules...)
	}
	return rules, bad
}

// uiRule is a rule kept in the database.
type uiRule struct {
	id, yaml string
	enabled  bool
}

// Reload compiles the current rules (directory and database), their
// states and exceptions, with placeholders from the inventory, and swaps
// them into the Engine. Matching goes on meanwhile with the old set.
func (s *Service) Reload(ctx context.Context) (err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	defer func() { s.failed.Store(err != nil) }()
	start := time.Now()
	var version int64
	if err := s.DB.QueryRow(ctx, `SELECT version FROM rules_version WHERE id = 1`).Scan(&version); err != nil {
		return fmt.Errorf("pipeline: rules version: %w", err)
	}
	sig, files, err := dirSignature(s.Dirs)
	if err != nil {
		// An unreadable directory keeps the rules last read from it (none
		// at first); the UI's rules load all the same.
		if s.dirErr == "" || s.dirErr != err.Error() {
			s.logger().Error("rules directory unreadable", "err", err)
		}
		s.dirErr = err.Error()
		sig = s.dirSig
	} else {
		s.dirErr = ""
	}
	dirChanged := sig != s.dirSig
	if dirChanged {
		s.dirRules, s.dirErrs = parseFiles(files)
	}
	// Rules of the UI, and which rules are disabled.
	rows, err := s.DB.Query(ctx, `SELECT rule_id, source, yaml, enabled FROM rules`)
	if err != nil {
		return fmt.Errorf("pipeline: load rules: %w", err)
	}
	disabled := map[string]bool{}
	var ui []uiRule
	for rows.Next() {
		var r uiRule
		var source string
		if err := rows.Scan(&r.id, &source, &r.yaml, &r.enabled); err != nil {
			rows.Close()
			return fmt.Errorf("pipeline: load rules: %w", err)
		}
		if !r.enabled {
			disabled[r.id] = true
		}
		if source == SourceUI {
			ui = append(ui, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pipeline: load rules: %w", err)
	}
	rs := &Ruleset{Disabled: disabled, Exceptions: map[string][]string{}, UnitPaths: map[int64]string{}, HostUnits: map[string]string{}}
	if err := s.loadUnits(ctx, rs); err != nil {
		return err
	}
	ph, err := s.Placeholders(ctx)
	if err != nil {
		return err
	}
	var rules []*sigma.Rule
	refused := slices.Clone(s.dirErrs)
	seen := map[string]bool{}
	dirIDs := map[string]*sigma.Rule{}
	for _, r := range s.dirRules {
		id := dirRuleID(r)
		if seen[id] {
			refused = append(refused, &sigma.RuleError{Path: r.Path, ID: r.ID, Title: r.Title, Err: fmt.Errorf("id %s is used by another rule of the directory", id)})
			continue
		}
		seen[id] = true
		dirIDs[id] = r
		if !disabled[id] && keepStatus(r) {
			rules = append(rules, r)
		}
	}
	uiErr := map[string]string{}
	for _, u := range ui {
		if seen[u.id] {
			uiErr[u.id] = "the rules directory has a rule with the same id; this one is not run"
			continue
		}
		seen[u.id] = true
		parsed, perrs := sigma.Parse([]byte(u.yaml), "ui:"+u.id)
		if len(perrs) > 0 {
			uiErr[u.id] = perrs[0].Error()
			continue
		}
		if u.enabled {
			rules = append(rules, parsed...)
		}
	}
	set, cerrs := sigma.Compile(rules, sigma.Options{Placeholders: ph})
	refused = append(refused, cerrs...)
	for _, e := range cerrs {
		if strings.HasPrefix(e.Path, "ui:") {
			uiErr[strings.TrimPrefix(e.Path, "ui:")] = e.Err.Error()
		}
	}
	rs.Sigma, rs.Refused, rs.Built = set, refused, time.Now()
	if err := s.ensureIOCRows(ctx); err != nil {
		return err
	}
	if err := s.syncCatalog(ctx, dirChanged, dirIDs, refused, uiErr); err != nil {
		return err
	}
	if s.Engine != nil {
		s.Engine.Swap(rs)
	}
	s.lastBuilt.Store(rs)
	s.dirSig = sig
	s.version.Store(version)
	if m := s.Metrics; m != nil {
		m.rules.Set(float64(set.Len()))
		m.refused.Set(float64(len(refused)))
		m.reloads.WithLabelValues("rules").Inc()
	}
	s.logger().Info("rules loaded", "rules", set.Len(), "refused", len(refused), "disabled", len(disabled), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// IOCKinds are the indicator kinds listed among the rules (as
// "ioc:<kind>"), so they are enabled, disabled and excepted like rules.
var IOCKinds = []string{"ip", "domain", "url", "md5", "sha1", "sha256", "account", "hostname", "email"}

// ensureIOCRows lists the indicator kinds in the rules table once.
func (s *Service) ensureIOCRows(ctx context.Context) error {
	if s.iocRows.Load() {
		return nil
	}
	now := store.Micros(s.now())
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, k := range IOCKinds {
			title := "Indicator matches: " + k
			if _, err := tx.Exec(ctx, `INSERT INTO rules (rule_id, source, title, title_fold, level, status, enabled, created_by, created_at, updated_by, updated_at)
				VALUES (?, 'ioc', ?, ?, 'high', 'stable', ?, 'system', ?, 'system', ?) ON CONFLICT (rule_id) DO NOTHING`, "ioc:"+k, title, i18n.Fold(title), true, now, now); err != nil {
				return fmt.Errorf("pipeline: indicator rules: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		s.iocRows.Store(true)
	}
	return err
}

// keepStatus leaves out deprecated and unsupported rules, as vigil detect
// does.
func keepStatus(r *sigma.Rule) bool {
	return sigma.Filter{}.Keep(r)
}

// dirRuleID is the id a directory rule is managed by: its Sigma id, or
// its file and title when it has none.
func dirRuleID(r *sigma.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	sum := sha256.Sum256([]byte(r.Path + "\x00" + r.Title))
	return "noid-" + hex.EncodeToString(sum[:8])
}

// syncCatalog writes the directory's rules into the rules table (so
// every process lists them) when the directory changed, and each rule's
// load error.
func (s *Service) syncCatalog(ctx context.Context, dirChanged bool, dirIDs map[string]*sigma.Rule, refused []*sigma.RuleError, uiErr map[string]string) error {
	if len(s.Dirs) == 0 && len(uiErr) == 0 && !dirChanged {
		return nil
	}
	dirErr := map[string]string{}
	for _, e := range refused {
		if !strings.HasPrefix(e.Path, "ui:") && e.ID != "" {
			dirErr[e.ID] = e.Err.Error()
		}
	}
	now := store.Micros(s.now())
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		type row struct{ errText, source string }
		cur := map[string]row{}
		rows, err := tx.Query(ctx, `SELECT rule_id, source, load_error FROM rules`)
		if err != nil {
			return fmt.Errorf("pipeline: rules catalog: %w", err)
		}
		for rows.Next() {
			var id string
			var r row
			if err := rows.Scan(&id, &r.source, &r.errText); err != nil {
				rows.Close()
				return err
			}
			cur[id] = r
		}
		rows.Close()
		if dirChanged && len(s.Dirs) > 0 {
			for id, r := range dirIDs {
				if c, ok := cur[id]; ok && c.source == SourceUI {
					continue // the UI rule keeps its row; it is reported as shadowed
				}
				data, _ := os.ReadFile(r.Path)
				if len(data) > maxRuleYAML {
					data = data[:maxRuleYAML]
				}
				if _, ok := cur[id]; ok {
					if _, err := tx.Exec(ctx, `UPDATE rules SET path = ?, title = ?, title_fold = ?, level = ?, status = ?, yaml = ?, load_error = ?, updated_at = ? WHERE rule_id = ?`,
						r.Path, r.Title, i18n.Fold(r.Title), ruleLevel(r), r.Status, string(data), dirErr[id], now, id); err != nil {
						return fmt.Errorf("pipeline: rules catalog: %w", err)
					}
					continue
				}
				if _, err := tx.Exec(ctx, `INSERT INTO rules (rule_id, source, path, title, title_fold, level, status, yaml, enabled, load_error, created_by, created_at, updated_by, updated_at)
					VALUES (?, 'dir', ?, ?, ?, ?, ?, ?, ?, ?, 'system', ?, 'system', ?)`,
					id, r.Path, r.Title, i18n.Fold(r.Title), ruleLevel(r), r.Status, string(data), true, dirErr[id], now, now); err != nil {
					return fmt.Errorf("pipeline: rules catalog: %w", err)
				}
			}
			for id, c := range cur {
				if c.source == SourceDir && dirIDs[id] == nil {
					if _, err := tx.Exec(ctx, `DELETE FROM rules WHERE rule_id = ? AND source = 'dir'`, id); err != nil {
						return fmt.Errorf("pipeline: rules catalog: %w", err)
					}
				}
			}
		}
		for id, c := range cur {
			if c.source != SourceUI {
				continue
			}
			if e := uiErr[id]; e != c.errText {
				if _, err := tx.Exec(ctx, `UPDATE rules SET load_error = ? WHERE rule_id = ?`, e, id); err != nil {
					return fmt.Errorf("pipeline: rules catalog: %w", err)
				}
			}
		}
		return nil
	})
}

// loadUnits fills the unit paths, the hosts' units and the exceptions.
func (s *Service) loadUnits(ctx context.Context, rs *Ruleset) error {
	rows, err := s.DB.Query(ctx, `SELECT id, path FROM units`)
	if err != nil {
		return fmt.Errorf("pipeline: units: %w", err)
	}
	for rows.Next() {
		var id int64
		var path string
		if err := rows.Scan(&id, &path); err != nil {
			rows.Close()
			return err
		}
		rs.UnitPaths[id] = path
	}
	rows.Close()
	rows, err = s.DB.Query(ctx, `SELECT x.rule_id, u.path FROM rule_exceptions x JOIN units u ON u.id = x.unit_id`)
	if err != nil {
		return fmt.Errorf("pipeline: exceptions: %w", err)
	}
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			rows.Close()
			return err
		}
		rs.Exceptions[id] = append(rs.Exceptions[id], path)
	}
	rows.Close()
	if len(rs.Exceptions) == 0 {
		return nil // host units only matter for exceptions
	}
	rows, err = s.DB.Query(ctx, `SELECT h.hostname, h.fqdn, u.path FROM hosts h JOIN units u ON u.id = h.unit_id`)
	if err != nil {
		return fmt.Errorf("pipeline: hosts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, fqdn, path string
		if err := rows.Scan(&name, &fqdn, &path); err != nil {
			return err
		}
		for _, n := range []string{name, fqdn} {
			if n != "" {
				rs.HostUnits[foldHost(n)] = path
			}
		}
	}
	return rows.Err()
}

// PlaceholderNames are the placeholders of Sigma's expand modifier the
// hub fills from its inventory (docs/rules.md).
var PlaceholderNames = []string{"DomainControllers", "dc_machine_accounts", "dc_ip_addresses", "domain_controller_hostnames",
	"ServerSystems", "Workstations", "Administrators", "internal_domains"}

// Placeholders computes the values of the expand placeholders from the
// inventory. Domain controllers are the servers listening on both
// Kerberos (88) and LDAP (389 or 636); administrators are the enabled,
// non-system accounts with administrative rights on the servers. A
// placeholder the inventory has no value for is left out, so rules using
// it are refused with that reason.
func (s *Service) Placeholders(ctx context.Context) (map[string][]string, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	// Reading the servers' inventories is the slow part of a reload; the
	// values only change when a host is added, removed or re-inventoried.
	var n, maxID, maxInv int64
	var roles string
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(MAX(inventory_at), 0), COALESCE(SUM(CASE WHEN role = 'server' THEN id ELSE 0 END), 0) || '' FROM hosts`).
		Scan(&n, &maxID, &maxInv, &roles); err != nil {
		return nil, fmt.Errorf("pipeline: placeholders: %w", err)
	}
	sig := fmt.Sprintf("%d/%d/%d/%s", n, maxID, maxInv, roles)
	s.phMu.Lock()
	if s.phSig == sig && s.ph != nil {
		ph := s.ph
		s.phMu.Unlock()
		return ph, nil
	}
	s.phMu.Unlock()
	ph, err := s.placeholders(ctx)
	if err != nil {
		return nil, err
	}
	s.phMu.Lock()
	s.ph, s.phSig = ph, sig
	s.phMu.Unlock()
	return ph, nil
}

func (s *Service) placeholders(ctx context.Context) (map[string][]string, error) {
	rows, err := s.DB.Query(ctx, `SELECT hostname, fqdn, role, addresses, CASE WHEN role = 'server' THEN inventory ELSE '' END FROM hosts`)
	if err != nil {
		return nil, fmt.Errorf("pipeline: placeholders: %w", err)
	}
	defer rows.Close()
	set := map[string]map[string]bool{}
	add := func(name, v string) {
		v = strings.TrimSpace(v)
		if v == "" {
			return
		}
		if set[name] == nil {
			set[name] = map[string]bool{}
		}
		set[name][v] = true
	}
	for rows.Next() {
		var host, fqdn, role, addrs, inv string
		if err := rows.Scan(&host, &fqdn, &role, &addrs, &inv); err != nil {
			return nil, err
		}
		switch role {
		case asset.RoleServer:
			add("ServerSystems", host)
		case asset.RoleWorkstation:
			add("Workstations", host)
		}
		if inv == "" {
			continue
		}
		var doc struct {
			Domain     string           `json:"domain"`
			DomainKind string           `json:"domain_kind"`
			Listening  []asset.Listener `json:"listening"`
			Accounts   []asset.Account  `json:"accounts"`
		}
		if json.Unmarshal([]byte(inv), &doc) != nil {
			continue
		}
		if doc.Domain != "" && doc.DomainKind != "workgroup" {
			add("internal_domains", strings.ToLower(doc.Domain))
		}
		for _, a := range doc.Accounts {
			if a.Admin && a.Enabled && !a.System {
				add("Administrators", a.Name)
			}
		}
		kerberos, ldap := false, false
		for _, l := range doc.Listening {
			kerberos = kerberos || l.Port == 88
			ldap = ldap || l.Port == 389 || l.Port == 636
		}
		if kerberos && ldap {
			add("DomainControllers", host)
			add("domain_controller_hostnames", host)
			if fqdn != "" {
				add("domain_controller_hostnames", fqdn)
			}
			add("dc_machine_accounts", strings.ToUpper(host)+"$")
			for _, a := range strings.Fields(addrs) {
				add("dc_ip_addresses", a)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for name, vs := range set {
		list := make([]string, 0, len(vs))
		for v := range vs {
			list = append(list, v)
		}
		slices.Sort(list)
		out[name] = list
	}
	// The DC computer accounts are also what %DomainControllers% means in
	// rules testing SubjectUserName.
	if dcs := out["dc_machine_accounts"]; len(dcs) > 0 {
		out["DomainControllers"] = append(slices.Clone(out["DomainControllers"]), dcs...)
	}
	return out, nil
}

// ReloadIndicators rebuilds the indicator set when a provider's version
// changed (or always with force) and swaps it in.
func (s *Service) ReloadIndicators(ctx context.Context, force bool) error {
	if s.Engine == nil {
		return nil
	}
	h := sha256.New()
	unknown := false
	for i, p := range s.Indicators {
		v, err := p.Version(ctx)
		if err != nil {
			return err
		}
		unknown = unknown || v == ""
		fmt.Fprintf(h, "%d:%s\n", i, v)
	}
	sig := hex.EncodeToString(h.Sum(nil))
	if sig == s.indSig && !(force && unknown) {
		return nil
	}
	b := ioc.NewBuilder()
	n := 0
	for _, p := range s.Indicators {
		k, err := p.Add(ctx, b)
		if err != nil {
			return err
		}
		n += k
	}
	set := b.Build()
	s.Engine.IOC.Replace(set)
	s.indSig = sig
	if m := s.Metrics; m != nil {
		m.indicators.Set(float64(set.Len()))
		m.reloads.WithLabelValues("indicators").Inc()
	}
	if force || n > 0 {
		s.logger().Debug("indicators loaded", "indicators", set.Len())
	}
	return nil
}

// flushHits adds the engine's matches per rule to rule_hits.
func (s *Service) flushHits(ctx context.Context) {
	if s.Engine == nil {
		return
	}
	hits := s.Engine.TakeHits()
	if len(hits) == 0 {
		return
	}
	hour := hourOf(s.now())
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		for id, n := range hits {
			if _, err := tx.Exec(ctx, `INSERT INTO rule_hits (rule_id, hour, hits) VALUES (?, ?, ?)
				ON CONFLICT (rule_id, hour) DO UPDATE SET hits = rule_hits.hits + excluded.hits`, id, hour, n); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM rule_hits WHERE hour < ?`, hour-24*30)
		return err
	})
	if err != nil {
		s.logger().Warn("rules: writing hits failed", "err", err)
		s.Engine.countHits(hits) // try again next time
	}
}

// FlushHits writes the matches per rule counted so far (tests, shutdown).
func (s *Service) FlushHits(ctx context.Context) { s.flushHits(ctx) }

// Current returns the last set this Service built (also without an
// Engine), for the rules page's count of refused rules.
func (s *Service) Current() *Ruleset { return s.lastBuilt.Load() }

// itoa is strconv.FormatInt for ids.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
