package findings

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/asset"
	"vigil/internal/store"
)

// Priority orders the work: of two findings, fix first the one with the
// higher priority, a whole number from 0 to 100 computed from what is
// known about the flaw and the host (docs/vuln-vviews.md):
//
//	45 × CVSS / 10      how bad the flaw is (the severity stands in when the
//	                    CVSS score is unknown: critical 9.5, high 7.5,
//	                    medium 5, low 2.5)
//	+ 15 × EPSS         how likely it is to be exploited in the next 30 days
//	+ 20 if KEV         CISA has seen it exploited
//	+ 10 if exposed     a scanner saw it on a network port, or the host
//	                    listens (beyond loopback) on a port of the flawed
//	                    service
//	+  5 if internet    the host has a public (globally routable) address
//	+  5 if server      a server serves many; a workstation serves one
//
// capped at 100. Malware findings have no CVSS: their priority comes from
// the severity alone with the same weights, since a live infection is
// already "exploited".
//
// Warning-list findings come before everything else: the directive says
// units treat the hosts on the IT Center's list first. Their priority is
// WarningListPriority plus 3, 2, 1 or 0 for critical, high, medium or low
// (101 to 104), above any vulnerability's.
type PriorityFacts struct {
	Kind     string
	Severity string
	CVSS     float64
	EPSS     float64
	KEV      bool
	Exposed  bool
	Internet bool
	Server   bool
}

// severityScore stands in for an unknown CVSS score.
var severityScore = map[string]float64{SeverityCritical: 9.5, SeverityHigh: 7.5, SeverityMedium: 5, SeverityLow: 2.5}

// WarningListPriority is the lowest priority of a warning-list finding,
// one above the highest any other finding can have.
const WarningListPriority = 101

// Priority computes the documented formula.
func Priority(f PriorityFacts) int {
	if f.Kind == KindWarningList {
		return WarningListPriority + map[string]int{SeverityCritical: 3, SeverityHigh: 2, SeverityMedium: 1}[f.Severity]
	}
	cvss := f.CVSS
	if cvss <= 0 || cvss > 10 {
		cvss = severityScore[f.Severity]
	}
	epss := min(max(f.EPSS, 0), 1)
	p := 45*cvss/10 + 15*epss
	if f.KEV || f.Kind == KindMalware {
		p += 20
	}
	if f.Exposed {
		p += 10
	}
	if f.Internet {
		p += 5
	}
	if f.Server {
		p += 5
	}
	return int(min(math.Round(p), 100))
}

// servicePorts relates the words of a finding's title or product to the
// network ports of the service they name, so a host listening there is
// exposed to it. Small, tested, and honest about what it does not know: a
// finding that names no service here is exposed only when a scanner saw it
// on a port.
var servicePorts = []struct {
	words []string
	ports []int
}{
	{[]string{"remote desktop", "rdp"}, []int{3389}},
	{[]string{"smb", "server message block", "netlogon"}, []int{139, 445}},
	{[]string{"message queuing", "msmq"}, []int{1801}},
	{[]string{"sql server", "odbc", "ole db"}, []int{1433, 1434}},
	{[]string{"exchange", "iis", "http.sys", "http protocol stack", "sharepoint", "nginx", "apache", "tomcat", "http"}, []int{80, 443, 8080, 8443}},
	{[]string{"dhcp"}, []int{67, 547}},
	{[]string{"ldap", "active directory"}, []int{389, 636, 3268}},
	{[]string{"remote procedure call", "rpc"}, []int{135}},
	{[]string{"dns server", "bind"}, []int{53}},
	{[]string{"ssh"}, []int{22}},
	{[]string{"ftp"}, []int{21}},
	{[]string{"smtp", "postfix", "exim"}, []int{25, 465, 587}},
	{[]string{"layer 2 tunneling", "l2tp"}, []int{1701}},
	{[]string{"point-to-point tunneling", "pptp"}, []int{1723}},
	{[]string{"secure socket tunneling", "sstp"}, []int{443}},
	{[]string{"pragmatic general multicast", "pgm"}, []int{3056}},
	{[]string{"network file system", "nfs"}, []int{2049}},
	{[]string{"winrm", "windows remote management"}, []int{5985, 5986}},
	{[]string{"mysql", "mariadb"}, []int{3306}},
	{[]string{"postgresql"}, []int{5432}},
}

// windowsCorePorts are the services every Windows cumulative update
// patches (RPC, NetBIOS, SMB, Remote Desktop): a Windows host missing one
// and listening there is exposed.
var windowsCorePorts = []int{135, 139, 445, 3389}

// RelatedPorts returns the ports of the services a finding's text names
// ("Microsoft Message Queuing Remote Code Execution" → 1801); a missing
// Windows update relates to the core Windows services.
func RelatedPorts(kind, text string) []int {
	t := strings.ToLower(text)
	var out []int
	for _, sp := range servicePorts {
		for _, w := range sp.words {
			if containsWord(t, w) {
				out = append(out, sp.ports...)
				break
			}
		}
	}
	if kind == KindMissingUpdate && strings.Contains(t, "windows") {
		out = append(out, windowsCorePorts...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// containsWord reports whether w occurs in t not inside a longer word.
func containsWord(t, w string) bool {
	for i := 0; ; {
		j := strings.Index(t[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isWordByte(t[j-1])
		after := j+len(w) == len(t) || !isWordByte(t[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

// Exposure is what the hub knows of a host's place on the network.
type Exposure struct {
	Ports    []int // ports it listens on beyond loopback
	Internet bool  // it has a public address
	Server   bool
}

// exposureOf derives a host's exposure from its inventory.
func exposureOf(inv *asset.Inventory, addresses string) (ports []int, internet bool) {
	if inv != nil {
		for _, l := range inv.Listening {
			a, err := netip.ParseAddr(strings.Trim(l.Address, "[]"))
			if err == nil && a.IsLoopback() {
				continue
			}
			if l.Port > 0 {
				ports = append(ports, l.Port)
			}
		}
		for _, a := range inv.Addresses() {
			if isPublic(a) {
				internet = true
			}
		}
	}
	for _, a := range strings.Fields(addresses) {
		if isPublic(a) {
			internet = true
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports), internet
}

// isPublic reports whether an address (with or without a prefix length)
// is globally routable: not private, loopback, link-local, shared (CGNAT)
// or documentation space.
func isPublic(s string) bool {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	a = a.Unmap()
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// hostExposure reads a host's exposure, computing it from the stored
// inventory when the inventory changed since it was last computed.
func hostExposure(ctx context.Context, tx *store.Tx, hostID int64) (Exposure, error) {
	var role, addresses, hash, seenHash, ports string
	var internet, known bool
	err := tx.QueryRow(ctx, `SELECT h.role, h.addresses, h.inventory_hash, COALESCE(e.inventory_hash, ''), COALESCE(e.ports, ''), COALESCE(e.internet, FALSE),
		CASE WHEN e.host_id IS NULL THEN FALSE ELSE TRUE END
		FROM hosts h LEFT JOIN finding_host_exposure e ON e.host_id = h.id WHERE h.id = ?`, hostID).
		Scan(&role, &addresses, &hash, &seenHash, &ports, &internet, &known)
	if err != nil {
		return Exposure{}, fmt.Errorf("findings: exposure of host %d: %w", hostID, err)
	}
	x := Exposure{Server: role == asset.RoleServer}
	if known && seenHash == hash {
		x.Internet = internet
		for _, p := range strings.Fields(ports) {
			if n, err := strconv.Atoi(p); err == nil {
				x.Ports = append(x.Ports, n)
			}
		}
		return x, nil
	}
	var raw string
	if err := tx.QueryRow(ctx, `SELECT inventory FROM hosts WHERE id = ?`, hostID).Scan(&raw); err != nil {
		return Exposure{}, fmt.Errorf("findings: inventory of host %d: %w", hostID, err)
	}
	var inv *asset.Inventory
	if raw != "" {
		inv = &asset.Inventory{}
		if json.Unmarshal([]byte(raw), inv) != nil {
			inv = nil // an unreadable inventory tells nothing of the ports
		}
	}
	x.Ports, x.Internet = exposureOf(inv, addresses)
	text := make([]string, len(x.Ports))
	for i, p := range x.Ports {
		text[i] = strconv.Itoa(p)
	}
	_, err = tx.Exec(ctx, `INSERT INTO finding_host_exposure (host_id, inventory_hash, ports, internet) VALUES (?, ?, ?, ?)
		ON CONFLICT (host_id) DO UPDATE SET inventory_hash = excluded.inventory_hash, ports = excluded.ports, internet = excluded.internet`,
		hostID, hash, strings.Join(text, " "), x.Internet)
	if err != nil {
		return Exposure{}, fmt.Errorf("findings: exposure of host %d: %w", hostID, err)
	}
	return x, nil
}

// exposed reports whether a finding is reachable over the network on its
// host: a scanner saw it on a port, or the host listens on a port of the
// service it names.
func exposed(x Exposure, kind, port, text string) bool {
	if strings.TrimSpace(port) != "" && port != "0" {
		return true
	}
	for _, p := range RelatedPorts(kind, text) {
		if slices.Contains(x.Ports, p) {
			return true
		}
	}
	return false
}

// priorityOf computes an observation's priority on its host.
func priorityOf(ctx context.Context, tx *store.Tx, o Observation, evidence []byte) (int, error) {
	x, err := hostExposure(ctx, tx, o.HostID)
	if err != nil {
		return 0, err
	}
	return Priority(PriorityFacts{Kind: o.Kind, Severity: o.Severity, CVSS: o.CVSS, EPSS: o.EPSS, KEV: o.KEV,
		Exposed: exposed(x, o.Kind, o.Port, o.Title+" "+productOf(evidence)), Internet: x.Internet, Server: x.Server}), nil
}

// recordState is what Record needs to know before it writes: the finding
// if it exists, the due days of its kind and severity, the host's exposure.
type recordState struct {
	id     int64 // 0: a new finding
	status string
	days   int
	x      Exposure
}

func loadRecordState(ctx context.Context, tx *store.Tx, o Observation, key string) (recordState, error) {
	var st recordState
	var days, id sql.NullInt64
	var role, addresses, hash string
	var seenHash, ports, status sql.NullString
	var internet sql.NullBool
	err := tx.QueryRow(ctx, `SELECT (SELECT d.days FROM finding_due_days d WHERE d.kind = ? AND d.severity = ?), h.role, h.addresses, h.inventory_hash,
		e.inventory_hash, e.ports, e.internet, f.id, f.status
		FROM hosts h LEFT JOIN finding_host_exposure e ON e.host_id = h.id
		LEFT JOIN findings f ON f.host_id = h.id AND f.kind = ? AND f.finding_key = ?
		WHERE h.id = ?`, o.Kind, o.Severity, o.Kind, key, o.HostID).
		Scan(&days, &role, &addresses, &hash, &seenHash, &ports, &internet, &id, &status)
	if store.IsNoRows(err) {
		return st, fmt.Errorf("findings: record: no host %d", o.HostID)
	}
	if err != nil {
		return st, fmt.Errorf("findings: record: %w", err)
	}
	st.id, st.status = id.Int64, status.String
	st.days = int(days.Int64)
	if !days.Valid {
		st.days = defaultDueDays(o.Kind, o.Severity)
	}
	if seenHash.Valid && seenHash.String == hash {
		st.x = Exposure{Server: role == asset.RoleServer, Internet: internet.Bool}
		for _, p := range strings.Fields(ports.String) {
			if n, err := strconv.Atoi(p); err == nil {
				st.x.Ports = append(st.x.Ports, n)
			}
		}
		return st, nil
	}
	// The inventory changed since the exposure was computed (or never was).
	if st.x, err = hostExposure(ctx, tx, o.HostID); err != nil {
		return st, err
	}
	return st, nil
}

// productOfObservation is the product an observation's evidence names,
// read from the feeder's value when it is one of this package's evidence
// types (no JSON decoding in the hot path).
func productOfObservation(ev any, raw []byte) string {
	switch e := ev.(type) {
	case nil:
		return ""
	case MissingUpdateEvidence:
		return e.Product
	case *MissingUpdateEvidence:
		return e.Product
	case VulnerabilityEvidence:
		return e.Product
	case *VulnerabilityEvidence:
		return e.Product
	case MalwareEvidence, *MalwareEvidence, WarningListEvidence, *WarningListEvidence:
		return ""
	}
	return productOf(raw)
}

// productOf reads the product an evidence names, for relating a finding
// to a service.
func productOf(evidence []byte) string {
	var e struct {
		Product string `json:"product"`
	}
	json.Unmarshal(evidence, &e)
	return e.Product
}

// RecomputePriorities computes again the priority of every active finding
// (after a knowledge-base refresh changed EPSS or KEV facts, or inventories
// changed hosts' exposure) and returns how many changed. The hub runs it
// as a job; feeders may call it after a refresh.
func RecomputePriorities(ctx context.Context, db *store.DB) (int, error) {
	changed := 0
	var after int64
	for {
		type row struct {
			id, host                              int64
			kind, severity, title, evidence, port string
			cvss, epss                            float64
			kev                                   bool
			priority                              int
		}
		var batch []row
		rows, err := db.Query(ctx, `SELECT id, host_id, kind, severity, title, evidence, port, cvss, epss, kev, priority FROM findings
			WHERE status IN ('open', 'in_progress') AND id > ? ORDER BY id LIMIT 500`, after)
		if err != nil {
			return changed, fmt.Errorf("findings: recompute priorities: %w", err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.host, &r.kind, &r.severity, &r.title, &r.evidence, &r.port, &r.cvss, &r.epss, &r.kev, &r.priority); err != nil {
				rows.Close()
				return changed, fmt.Errorf("findings: recompute priorities: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return changed, fmt.Errorf("findings: recompute priorities: %w", err)
		}
		if len(batch) == 0 {
			return changed, nil
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for _, r := range batch {
				p, err := priorityOf(ctx, tx, Observation{HostID: r.host, Kind: r.kind, Severity: r.severity, Title: r.title, Port: r.port,
					CVSS: r.cvss, EPSS: r.epss, KEV: r.kev}, []byte(r.evidence))
				if err != nil {
					return err
				}
				if p != r.priority {
					if _, err := tx.Exec(ctx, `UPDATE findings SET priority = ? WHERE id = ?`, p, r.id); err != nil {
						return err
					}
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return changed, fmt.Errorf("findings: recompute priorities: %w", err)
		}
		after = batch[len(batch)-1].id
	}
}
