// Package hosts is the hub's side of measure 1: the hosts of every unit
// with their latest inventory and its history, the endpoint agents and
// their enrolment tokens, tasks sent to agents (malware scans), the
// findings those scans return, and security-control coverage per unit.
// The inventory document itself is internal/asset's; the agent's wire
// format is internal/agent/agentapi's.
package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Policy thresholds of the coverage view.
const (
	// SignatureMaxAge is how old antivirus signatures may be and still count.
	SignatureMaxAge = 3 * 24 * time.Hour
	// AgentStaleAfter flags an agent that has not called in.
	AgentStaleAfter = 24 * time.Hour
)

// Service is the hosts service.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
	// IndicatorSources supply the indicators agents scan for (warning
	// lists, intel feeds); the hub's wiring sets them.
	IndicatorSources []func(ctx context.Context) ([]agentapi.Indicator, error)
	// IndicatorVersion, when set, names the state of every indicator
	// source: it changes whenever any source's answer for some unit may
	// change (and is the same in every hub process for the same state).
	// An agent whose cursor matches is told "no change" instead of being
	// sent the whole set again.
	IndicatorVersion func(ctx context.Context) (string, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Host is one server or workstation as the hub knows it.
type Host struct {
	ID           int64      `json:"id"`
	Hostname     string     `json:"hostname"`
	FQDN         string     `json:"fqdn,omitempty"`
	Unit         string     `json:"unit"`
	UnitName     string     `json:"unit_name"`
	UnitPath     string     `json:"-"`
	UnitID       int64      `json:"-"`
	OS           asset.OS   `json:"os"`
	Role         string     `json:"role"`
	Addresses    []string   `json:"addresses"`
	Source       string     `json:"source"`
	Controls     []Control  `json:"controls"`
	Status       HostStatus `json:"status"`
	SoftwareN    int        `json:"software_count"`
	AgentID      string     `json:"agent_id,omitempty"`
	AgentSeenAt  time.Time  `json:"agent_seen_at,omitzero"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	InventoryAt  time.Time  `json:"inventory_at,omitzero"`
	OpenFindings int        `json:"open_findings"`
}

// Control is a host's security control as summarised for lists: enough
// to say why a check fails (reasons.go).
type Control struct {
	Kind        string    `json:"kind"`
	Product     string    `json:"product"`
	Enabled     bool      `json:"enabled"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	Running     *bool     `json:"running,omitempty"`
	RealTime    *bool     `json:"real_time,omitempty"`
	OffProfiles []string  `json:"off_profiles,omitempty"` // Windows Firewall profiles that are off
}

// HostStatus is the host's standing against each coverage check, and for
// each it fails, why.
type HostStatus struct {
	Antivirus bool `json:"antivirus"` // AV running with signatures < 3 days old, or EDR running
	Firewall  bool `json:"firewall"`
	AgentSeen bool `json:"agent_seen"` // agent called in within 24 h
	HasAgent  bool `json:"has_agent"`
	// Why holds a Reason for each failed check ("antivirus", "firewall",
	// "agent").
	Why map[string]Reason `json:"why,omitempty"`
}

// controlSummary is what ingest derives from an inventory's controls.
type controlSummary struct {
	avOK, edrOK, fwOK bool
	avProduct         string
	avUpdated         time.Time
}

func summarise(inv *asset.Inventory) controlSummary {
	var c controlSummary
	for _, ctl := range inv.Controls {
		running := ctl.Running == nil || *ctl.Running
		realtime := ctl.RealTime == nil || *ctl.RealTime
		switch ctl.Kind {
		case asset.ControlAntivirus:
			if ctl.Enabled && running && realtime {
				c.avOK = true
				if c.avProduct == "" || (ctl.UpdatedAt != nil && ctl.UpdatedAt.After(c.avUpdated)) {
					c.avProduct = ctl.Product
				}
				if ctl.UpdatedAt != nil && ctl.UpdatedAt.After(c.avUpdated) {
					c.avUpdated = *ctl.UpdatedAt
				}
			}
		case asset.ControlEDR:
			if ctl.Enabled && running {
				c.edrOK = true
				if c.avProduct == "" {
					c.avProduct = ctl.Product
				}
			}
		case asset.ControlFirewall:
			if ctl.Enabled {
				c.fwOK = true
			}
		}
	}
	return c
}

// hostKey is the matching key of a hostname: lower-case, short name.
func hostKey(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name
}

// plainAddresses returns the host's addresses without prefix lengths,
// skipping loopback and link-local ones, which identify nothing.
func plainAddresses(inv *asset.Inventory) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range inv.Addresses() {
		ip := a
		if i := strings.IndexByte(ip, '/'); i >= 0 {
			ip = ip[:i]
		}
		addr, err := netip.ParseAddr(ip)
		if err != nil || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() {
			continue
		}
		s := addr.String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// prepared is an inventory made ready for storage: everything that needs
// no database is computed here, outside the transaction and in parallel
// when importing many.
type prepared struct {
	inv      *asset.Inventory
	doc      []byte
	hash     string
	cs       controlSummary
	key      string
	addrs    []string
	addrText string
	search   string
	role     string
	source   string
	controls string // JSON of the controls summary for lists
}

func prepare(inv *asset.Inventory) (*prepared, error) {
	inv.Normalize()
	doc, err := json.Marshal(inv)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(doc)
	p := &prepared{inv: inv, doc: doc, hash: hex.EncodeToString(sum[:]), cs: summarise(inv), key: hostKey(inv.Hostname), addrs: plainAddresses(inv)}
	p.addrText = " " + strings.Join(p.addrs, " ") + " "
	p.search = i18n.Fold(inv.Hostname + " " + inv.FQDN + " " + inv.OS.Name + " " + strings.Join(p.addrs, " "))
	p.role = inv.Role
	if p.role == "" {
		p.role = guessRole(inv)
	}
	p.source = inv.Source
	if p.source == "" {
		p.source = asset.SourceAgent
	}
	ctl := make([]Control, 0, len(inv.Controls))
	for _, c := range inv.Controls {
		x := Control{Kind: c.Kind, Product: c.Product, Enabled: c.Enabled, Running: c.Running, RealTime: c.RealTime}
		if c.UpdatedAt != nil {
			x.UpdatedAt = *c.UpdatedAt
		}
		for _, pr := range c.Profiles {
			if !pr.Enabled {
				x.OffProfiles = append(x.OffProfiles, pr.Name)
			}
		}
		ctl = append(ctl, x)
	}
	cb, err := json.Marshal(ctl)
	if err != nil {
		return nil, fmt.Errorf("hosts: encode controls of %s: %w", inv.Hostname, err)
	}
	p.controls = string(cb)
	return p, nil
}

// ingest records an inventory for a host of unit: it finds the host by
// machine id, or by hostname and a shared address (so importing twice
// updates rather than duplicates), stores the new inventory and the
// changes since the last one. agentID binds the host to an agent.
func (s *Service) ingest(ctx context.Context, tx *store.Tx, unitID int64, hostID int64, inv *asset.Inventory, agentID string) (id int64, created bool, changes []asset.Change, err error) {
	p, err := prepare(inv)
	if err != nil {
		return 0, false, nil, err
	}
	return s.store(ctx, tx, unitID, hostID, p, agentID)
}

// newHost, passed as store's hostID, creates a host without matching.
const newHost = -1

func (s *Service) store(ctx context.Context, tx *store.Tx, unitID int64, hostID int64, p *prepared, agentID string) (id int64, created bool, changes []asset.Change, err error) {
	inv := p.inv
	now := s.now()
	if hostID == newHost {
		hostID = 0
	} else if hostID == 0 {
		hostID, err = matchHost(ctx, tx, unitID, p.key, inv.MachineID, p.addrs)
		if err != nil {
			return 0, false, nil, err
		}
	}
	created = hostID == 0
	var old *asset.Inventory
	if !created {
		var raw, oldHash string
		if err := tx.QueryRow(ctx, `SELECT inventory, inventory_hash FROM hosts WHERE id = ?`, hostID).Scan(&raw, &oldHash); err != nil {
			return 0, false, nil, fmt.Errorf("hosts: load inventory of host %d: %w", hostID, err)
		}
		if raw != "" && oldHash != p.hash {
			old = &asset.Inventory{}
			if err := json.Unmarshal([]byte(raw), old); err != nil {
				old = nil
			}
		}
	}
	cs := p.cs
	nowUS := now.UnixMicro()
	if created {
		err = tx.QueryRow(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, fqdn, machine_id, os_family, os_name, os_version, os_build, role, addresses, source, search,
			av_ok, av_product, av_updated_at, edr_ok, firewall_ok, software_count, controls, agent_id, first_seen_at, last_seen_at, inventory_at, inventory_hash, inventory)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			unitID, inv.Hostname, p.key, inv.FQDN, inv.MachineID, inv.OS.Family, inv.OS.Name, inv.OS.Version, inv.OS.Build, p.role, p.addrText, p.source, p.search,
			cs.avOK, cs.avProduct, store.Micros(cs.avUpdated), cs.edrOK, cs.fwOK, len(inv.Software), p.controls, agentID, nowUS, nowUS, store.Micros(inv.CollectedAt), p.hash, string(p.doc)).Scan(&hostID)
		if err != nil {
			return 0, false, nil, fmt.Errorf("hosts: add host %s: %w", inv.Hostname, err)
		}
	} else {
		setAgent := ""
		args := []any{inv.Hostname, p.key, inv.FQDN, inv.MachineID, inv.OS.Family, inv.OS.Name, inv.OS.Version, inv.OS.Build, p.role, p.addrText, p.source, p.search,
			cs.avOK, cs.avProduct, store.Micros(cs.avUpdated), cs.edrOK, cs.fwOK, len(inv.Software), p.controls, nowUS, store.Micros(inv.CollectedAt), p.hash, string(p.doc)}
		if agentID != "" {
			setAgent = ", agent_id = ?"
			args = append(args, agentID)
		}
		args = append(args, hostID)
		if _, err := tx.Exec(ctx, `UPDATE hosts SET hostname = ?, hostname_key = ?, fqdn = ?, machine_id = ?, os_family = ?, os_name = ?, os_version = ?, os_build = ?, role = ?,
			addresses = ?, source = ?, search = ?, av_ok = ?, av_product = ?, av_updated_at = ?, edr_ok = ?, firewall_ok = ?, software_count = ?, controls = ?, last_seen_at = ?,
			inventory_at = ?, inventory_hash = ?, inventory = ?`+setAgent+` WHERE id = ?`, args...); err != nil {
			return 0, false, nil, fmt.Errorf("hosts: update host %s: %w", inv.Hostname, err)
		}
	}
	if old != nil {
		changes = asset.Diff(old, inv)
	}
	for _, c := range changes {
		if _, err := tx.Exec(ctx, `INSERT INTO host_changes (host_id, at, kind, subject, old, new) VALUES (?, ?, ?, ?, ?, ?)`,
			hostID, nowUS, c.Kind, i18n.Clip(c.Subject, 500), i18n.Clip(c.Old, 500), i18n.Clip(c.New, 500)); err != nil {
			return 0, false, nil, fmt.Errorf("hosts: record change: %w", err)
		}
	}
	return hostID, created, changes, nil
}

// guessRole tells servers from workstations when the inventory does not.
func guessRole(inv *asset.Inventory) string {
	name := strings.ToLower(inv.OS.Name)
	if strings.Contains(name, "server") {
		return asset.RoleServer
	}
	if inv.OS.Family == "windows" || strings.Contains(name, "windows") || strings.Contains(name, "macos") {
		return asset.RoleWorkstation
	}
	if len(inv.LoggedOn) == 0 && len(inv.Listening) > 0 {
		return asset.RoleServer
	}
	return asset.RoleWorkstation
}

// matchHost finds the host an inventory belongs to within a unit: the
// same machine id, else the same short hostname sharing an address (or
// with no addresses on either side to compare).
func matchHost(ctx context.Context, tx *store.Tx, unitID int64, key, machineID string, addrs []string) (int64, error) {
	// Without a machine id the query must not mention machine_id: SQLite
	// would answer "machine_id = ''" from its index with every host of the
	// unit that has none (all imported ones), making each match a scan and
	// an import of n hosts O(n²).
	q, args := `SELECT id, addresses, machine_id FROM hosts WHERE unit_id = ? AND hostname_key = ? ORDER BY id`, []any{unitID, key}
	if machineID != "" {
		q, args = `SELECT id, addresses, machine_id FROM hosts WHERE unit_id = ? AND (hostname_key = ? OR machine_id = ?) ORDER BY id`, []any{unitID, key, machineID}
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("hosts: match host: %w", err)
	}
	defer rows.Close()
	var byName, noAddr int64
	for rows.Next() {
		var id int64
		var have, mid string
		if err := rows.Scan(&id, &have, &mid); err != nil {
			return 0, err
		}
		if machineID != "" && mid == machineID {
			return id, nil
		}
		if machineID != "" && mid != "" && mid != machineID {
			continue // a different machine that shares the name
		}
		if strings.TrimSpace(have) == "" || len(addrs) == 0 {
			if noAddr == 0 {
				noAddr = id
			}
			continue
		}
		for _, a := range addrs {
			if byName == 0 && strings.Contains(have, " "+a+" ") {
				byName = id
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if byName != 0 {
		return byName, nil
	}
	if noAddr != 0 || len(addrs) == 0 {
		return noAddr, nil
	}
	return scannedByAddress(ctx, tx, unitID, addrs)
}

// scannedByAddress finds the host a vulnerability scanner added knowing
// only an address (its hostname is that address, it has no machine id)
// that an inventory now names: the first inventory of that machine takes
// the host over, with its findings, instead of adding a second one. Two
// such hosts for the inventory's addresses are ambiguous: none is taken.
func scannedByAddress(ctx context.Context, tx *store.Tx, unitID int64, addrs []string) (int64, error) {
	args := []any{unitID}
	for _, a := range addrs {
		args = append(args, a)
	}
	// Only unit and key are in the WHERE: with machine_id = '' there too,
	// SQLite walks every imported host of the unit through hosts_machine
	// (one full scan per imported row made a 20,000-host import take
	// minutes); source and machine are checked here on the few rows the
	// hosts_key index returns.
	rows, err := tx.Query(ctx, `SELECT id, source, machine_id FROM hosts WHERE unit_id = ? AND hostname_key IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(addrs)), ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return 0, fmt.Errorf("hosts: match scanned host: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var source, mid string
		if err := rows.Scan(&id, &source, &mid); err != nil {
			return 0, err
		}
		if source == SourceScan && mid == "" {
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil || len(ids) != 1 {
		return 0, err
	}
	return ids[0], nil
}

// HostFilter selects hosts.
type HostFilter struct {
	Unit    string // the unit's whole subtree
	OS      string // family or a word of the OS name
	Role    string // server, workstation
	Failing string // antivirus, firewall, agent: hosts failing that check
	Stale   bool   // hosts whose agent has not called in for 24 h
	// SeenBefore and SeenAfter bound when the host was last seen (by its
	// agent or an import).
	SeenBefore time.Time
	SeenAfter  time.Time
	Query      string // accent-insensitive: hostname, FQDN, OS, address
	Sort       string // a key of HostSorts; "" is the order hosts were added
	Desc       bool
	Offset     int // rows skipped (pages by position)
	Limit      int
}

// HostSorts are the columns a list of hosts sorts by: the request names a
// key, never an expression.
var HostSorts = map[string]string{
	"hostname":   "h.hostname_key",
	"unit":       "u.code",
	"os":         "h.os_name",
	"role":       "h.role",
	"last_seen":  "h.last_seen_at",
	"agent_seen": "h.agent_seen_at",
	"findings":   "(SELECT COUNT(*) FROM findings f WHERE f.host_id = h.id AND f.status IN ('open', 'in_progress'))",
}

// HostSortKeys lists the keys of HostSorts, for messages and the API
// document.
var HostSortKeys = []string{"hostname", "unit", "os", "role", "last_seen", "agent_seen", "findings"}

const hostColumns = `h.id, h.hostname, h.fqdn, u.code, u.name, u.path, u.id, h.os_family, h.os_name, h.os_version, h.os_build, h.role, h.addresses, h.source,
	h.av_ok, h.av_product, h.av_updated_at, h.edr_ok, h.firewall_ok, h.software_count, h.controls, h.agent_id, h.agent_seen_at, h.first_seen_at, h.last_seen_at, h.inventory_at,
	(SELECT COUNT(*) FROM findings f WHERE f.host_id = h.id AND f.status IN ('open', 'in_progress'))`

func (s *Service) scanHost(sc interface{ Scan(...any) error }) (*Host, error) {
	var h Host
	var addrs string
	var avOK, edrOK, fwOK bool
	var avProduct, controls string
	var avUpdated, agentSeen, first, last, invAt int64
	if err := sc.Scan(&h.ID, &h.Hostname, &h.FQDN, &h.Unit, &h.UnitName, &h.UnitPath, &h.UnitID, &h.OS.Family, &h.OS.Name, &h.OS.Version, &h.OS.Build, &h.Role, &addrs, &h.Source,
		&avOK, &avProduct, &avUpdated, &edrOK, &fwOK, &h.SoftwareN, &controls, &h.AgentID, &agentSeen, &first, &last, &invAt, &h.OpenFindings); err != nil {
		return nil, err
	}
	h.Addresses = strings.Fields(addrs)
	if h.Addresses == nil {
		h.Addresses = []string{}
	}
	h.AgentSeenAt, h.FirstSeen, h.LastSeen, h.InventoryAt = store.Time(agentSeen), store.Time(first), store.Time(last), store.Time(invAt)
	h.Controls = []Control{}
	if err := json.Unmarshal([]byte(controls), &h.Controls); err != nil {
		return nil, fmt.Errorf("hosts: host %d: stored controls: %w", h.ID, err)
	}
	now := s.now()
	var why [3]Reason
	h.Status.HasAgent = h.AgentID != ""
	h.Status.Antivirus, why[0] = AntivirusCheck(avOK, store.Time(avUpdated), edrOK, h.Controls, now)
	h.Status.Firewall, why[1] = FirewallCheck(fwOK, h.Controls)
	h.Status.AgentSeen, why[2] = AgentCheck(h.AgentID, h.AgentSeenAt, now)
	for i, check := range Checks {
		if why[i].Code != "" {
			if h.Status.Why == nil {
				h.Status.Why = map[string]Reason{}
			}
			h.Status.Why[check] = why[i]
		}
	}
	return &h, nil
}

// ListHosts returns a page of the hosts in the caller's scope that match
// f, in f's order, and how many match in all.
func (s *Service) ListHosts(ctx context.Context, f HostFilter) ([]*Host, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("h.id", f.Limit, 100).Scope(p, "u.path")
	if f.Unit != "" {
		_, path, err := s.unitInScope(ctx, p, f.Unit, errs.NotFound("unit "+strconv.Quote(f.Unit)))
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	if f.OS != "" {
		l.Where(`(h.os_family = ? OR h.search LIKE ? ESCAPE '\')`, strings.ToLower(f.OS), store.LikeContains(i18n.Fold(f.OS)))
	}
	if f.Role != "" {
		l.Where("h.role = ?", f.Role)
	}
	now := s.now()
	stale := now.Add(-AgentStaleAfter).UnixMicro()
	switch f.Failing {
	case "":
	case "antivirus":
		l.Where("NOT (h.edr_ok OR (h.av_ok AND h.av_updated_at > ?))", now.Add(-SignatureMaxAge).UnixMicro())
	case "firewall":
		l.Where("NOT h.firewall_ok")
	case "agent":
		l.Where("(h.agent_id = '' OR h.agent_seen_at < ?)", stale)
	default:
		return nil, 0, errs.Invalid("failing", "must be antivirus, firewall or agent")
	}
	if f.Stale {
		l.Where("h.agent_id <> '' AND h.agent_seen_at < ?", stale)
	}
	if !f.SeenBefore.IsZero() {
		l.Where("h.last_seen_at < ?", f.SeenBefore.UnixMicro())
	}
	if !f.SeenAfter.IsZero() {
		l.Where("h.last_seen_at >= ?", f.SeenAfter.UnixMicro())
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`h.search LIKE ? ESCAPE '\'`, store.LikeContains(i18n.Fold(q)))
	}
	if f.Sort != "" {
		expr, ok := HostSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(HostSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+hostColumns, ` FROM hosts h JOIN units u ON u.id = h.unit_id`, s.scanHost)
	if err != nil {
		return nil, 0, fmt.Errorf("hosts: list: %w", err)
	}
	return out, total, nil
}

// HostDetail is a host with its latest inventory.
type HostDetail struct {
	*Host
	Inventory *asset.Inventory `json:"inventory"`
}

// GetHost returns a host in the caller's scope with its inventory.
func (s *Service) GetHost(ctx context.Context, id int64) (*HostDetail, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, raw, err := s.hostByID(ctx, s.DB, id)
	if err := p.CheckRead(err, func() string { return h.UnitPath }, errs.NotFound("host")); err != nil {
		return nil, fmt.Errorf("hosts: get host %d: %w", id, err)
	}
	d := &HostDetail{Host: h}
	if raw != "" {
		d.Inventory = &asset.Inventory{}
		if err := json.Unmarshal([]byte(raw), d.Inventory); err != nil {
			return nil, fmt.Errorf("hosts: stored inventory of host %d: %w", id, err)
		}
	}
	return d, nil
}

func (s *Service) hostByID(ctx context.Context, q interface {
	QueryRow(ctx context.Context, q string, args ...any) *sqlRow
}, id int64) (*Host, string, error) {
	var raw string
	row := q.QueryRow(ctx, `SELECT `+hostColumns+`, h.inventory FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.id = ?`, id)
	h, err := s.scanHost(scanTail{row, &raw})
	if err != nil {
		return nil, "", err
	}
	return h, raw, nil
}

// scanTail appends extra destinations to a Scan call.
type scanTail struct {
	row  interface{ Scan(...any) error }
	tail *string
}

func (t scanTail) Scan(dest ...any) error { return t.row.Scan(append(dest, t.tail)...) }

// ChangeRecord is one stored inventory change.
type ChangeRecord struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	asset.Change
}

// ChangeFilter selects a host's inventory changes, newest first unless
// Sort says.
type ChangeFilter struct {
	HostID int64
	Sort   string // a key of ChangeSorts
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// ChangeSorts are the columns a host's changes sort by.
var ChangeSorts = map[string]string{
	"at":      "c.at",
	"kind":    "c.kind",
	"subject": "c.subject",
}

// ChangeSortKeys lists the keys of ChangeSorts.
var ChangeSortKeys = []string{"at", "kind", "subject"}

// Changes returns a page of a host's inventory history and how many
// changes it has in all.
func (s *Service) Changes(ctx context.Context, f ChangeFilter) ([]ChangeRecord, int, error) {
	if _, err := s.GetHostHeader(ctx, f.HostID); err != nil {
		return nil, 0, err
	}
	l := store.NewList("c.id DESC", f.Limit, 100).Where("c.host_id = ?", f.HostID)
	if f.Sort != "" {
		expr, ok := ChangeSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(ChangeSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT c.id, c.at, c.kind, c.subject, c.old, c.new`, ` FROM host_changes c`, scanChange)
	if err != nil {
		return nil, 0, fmt.Errorf("hosts: changes of host %d: %w", f.HostID, err)
	}
	return out, total, nil
}

func scanChange(sc store.Scanner) (ChangeRecord, error) {
	var c ChangeRecord
	var at int64
	err := sc.Scan(&c.ID, &at, &c.Kind, &c.Subject, &c.Old, &c.New)
	c.At = store.Time(at)
	return c, err
}

// GetHostHeader returns a host in scope without its inventory.
func (s *Service) GetHostHeader(ctx context.Context, id int64) (*Host, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.scanHost(s.DB.QueryRow(ctx, `SELECT `+hostColumns+` FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.id = ?`, id))
	if err := p.CheckRead(err, func() string { return h.UnitPath }, errs.NotFound("host")); err != nil {
		return nil, fmt.Errorf("hosts: get host %d: %w", id, err)
	}
	return h, nil
}

// DeleteHost removes a host (decommissioned) with its agent, history and
// findings.
func (s *Service) DeleteHost(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	h, err := s.GetHostHeader(ctx, id)
	if err != nil {
		return err
	}
	if !p.CanWrite(h.UnitPath) {
		return errs.Forbidden("you may not remove hosts of unit %s", h.Unit)
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{`DELETE FROM findings WHERE host_id = ?`, `DELETE FROM agent_tasks WHERE host_id = ?`, `DELETE FROM agents WHERE host_id = ?`,
			`DELETE FROM host_changes WHERE host_id = ?`, `DELETE FROM hosts WHERE id = ?`} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("hosts: delete host %d: %w", id, err)
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "host.delete", ObjectType: "host", ObjectID: strconv.FormatInt(id, 10), UnitID: h.UnitID,
			Before: map[string]any{"hostname": h.Hostname, "addresses": h.Addresses}})
	})
}

// unitInScope finds the unit with code if the caller may read it; a unit
// that is absent or outside the caller's subtree answers notFound, a
// database failure its own error.
func (s *Service) unitInScope(ctx context.Context, p *auth.Principal, code string, notFound error) (id int64, path string, err error) {
	err = s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&id, &path)
	if err := p.CheckRead(err, func() string { return path }, notFound); err != nil {
		return 0, "", fmt.Errorf("hosts: unit %s: %w", code, err)
	}
	return id, path, nil
}
