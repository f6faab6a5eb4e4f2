package hosts

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"vigil/internal/asset"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// SourceScan marks a host first known from a vulnerability scanner's
// report (internal/scanimport).
const SourceScan = "scan"

// Scanned is a host as a scanner's report names it: an address, a name or
// both, and the operating system the scanner guessed.
type Scanned struct {
	Addr string // canonical IP address, "" if the report has none
	Name string // host name, short or fully qualified, lower case
	OS   string
	// ID is the host the caller has already matched (from UnitHosts);
	// 0 lets UpsertScanned match or add.
	ID int64
}

// UnitHost is a host of a unit as a scan import matches it.
type UnitHost struct {
	ID    int64
	Key   string   // hostname_key
	Addrs []string // its addresses
}

// UnitHosts lists the hosts of a unit with their name keys and addresses,
// so an import of many hosts matches them in memory rather than with a
// query per host.
func UnitHosts(ctx context.Context, tx *store.Tx, unitID int64) ([]UnitHost, error) {
	rows, err := tx.Query(ctx, `SELECT id, hostname_key, addresses FROM hosts WHERE unit_id = ? ORDER BY id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("hosts: unit hosts: %w", err)
	}
	defer rows.Close()
	var out []UnitHost
	for rows.Next() {
		var h UnitHost
		var addrs string
		if err := rows.Scan(&h.ID, &h.Key, &addrs); err != nil {
			return nil, err
		}
		h.Addrs = strings.Fields(addrs)
		out = append(out, h)
	}
	return out, rows.Err()
}

// ScannedKey is the hostname_key UpsertScanned gives a host of that name
// (the address when there is no name).
func ScannedKey(name, addr string) string {
	if strings.TrimSpace(name) == "" {
		return addr
	}
	return hostKey(name)
}

// UpsertScanned finds the host of unit a scanner saw, inside the caller's
// transaction, or adds it: the host holding the address (preferring one
// whose name matches), else the host with the same short name. A found
// host gains the address if it lacks it and, where empty, the FQDN and
// operating system; its inventory (an agent's or an import's) is not
// touched. A new host has source "scan", the short name as hostname (the
// address when the report gives no name) and a role guessed from the OS.
// The caller has checked the unit is writable.
func UpsertScanned(ctx context.Context, tx *store.Tx, unitID int64, h Scanned, now time.Time) (id int64, created bool, err error) {
	if a, err := netip.ParseAddr(h.Addr); err == nil {
		h.Addr = a.String()
	} else {
		h.Addr = ""
	}
	h.Name = strings.ToLower(strings.TrimSpace(h.Name))
	if h.Addr == "" && h.Name == "" {
		return 0, false, fmt.Errorf("hosts: a scanned host without address or name")
	}
	key := hostKey(h.Name)
	if h.Name == "" {
		key = h.Addr
	}
	var have, fqdn, osName string
	if h.ID != 0 {
		id = h.ID
		if err := tx.QueryRow(ctx, `SELECT addresses, fqdn, os_name FROM hosts WHERE id = ? AND unit_id = ?`, id, unitID).Scan(&have, &fqdn, &osName); err != nil {
			return 0, false, fmt.Errorf("hosts: scanned host %d: %w", id, err)
		}
	} else if h.Addr != "" {
		rows, err := tx.Query(ctx, `SELECT id, hostname_key, addresses, fqdn, os_name FROM hosts WHERE unit_id = ? AND addresses LIKE ? ORDER BY id`, unitID, "% "+h.Addr+" %")
		if err != nil {
			return 0, false, fmt.Errorf("hosts: match scanned host: %w", err)
		}
		for rows.Next() {
			var rid int64
			var rkey, raddr, rfqdn, ros string
			if err := rows.Scan(&rid, &rkey, &raddr, &rfqdn, &ros); err != nil {
				rows.Close()
				return 0, false, err
			}
			if id == 0 || rkey == key {
				id, have, fqdn, osName = rid, raddr, rfqdn, ros
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, false, err
		}
	}
	if id == 0 && h.Name != "" {
		err := tx.QueryRow(ctx, `SELECT id, addresses, fqdn, os_name FROM hosts WHERE unit_id = ? AND hostname_key = ? ORDER BY id LIMIT 1`, unitID, key).Scan(&id, &have, &fqdn, &osName)
		if err != nil && !store.IsNoRows(err) {
			return 0, false, fmt.Errorf("hosts: match scanned host: %w", err)
		}
	}
	nowUS := store.Micros(now)
	if id != 0 {
		sets, args := []string{"last_seen_at = ?"}, []any{nowUS}
		if h.Addr != "" && !strings.Contains(have, " "+h.Addr+" ") {
			addrs := strings.TrimSpace(have) + " " + h.Addr
			sets, args = append(sets, "addresses = ?"), append(args, " "+strings.TrimSpace(addrs)+" ")
		}
		if fqdn == "" && strings.Contains(h.Name, ".") {
			sets, args = append(sets, "fqdn = ?"), append(args, h.Name)
		}
		if osName == "" && h.OS != "" {
			sets, args = append(sets, "os_name = ?"), append(args, i18n.Clip(h.OS, 200))
		}
		args = append(args, id)
		if _, err := tx.Exec(ctx, `UPDATE hosts SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
			return 0, false, fmt.Errorf("hosts: update scanned host %d: %w", id, err)
		}
		return id, false, nil
	}
	hostname, fq := h.Addr, ""
	if h.Name != "" {
		hostname = h.Name
		if i := strings.IndexByte(h.Name, '.'); i > 0 {
			if _, err := netip.ParseAddr(h.Name); err != nil {
				hostname, fq = h.Name[:i], h.Name
			}
		}
	}
	addrText := ""
	if h.Addr != "" {
		addrText = " " + h.Addr + " "
	}
	role := guessRole(&asset.Inventory{OS: asset.OS{Name: h.OS, Family: osFamily(h.OS)}})
	if h.OS == "" || (!strings.Contains(strings.ToLower(h.OS), "windows") && !strings.Contains(strings.ToLower(h.OS), "mac")) {
		role = asset.RoleServer // an unknown or Unix-like system a scanner reaches is most likely a server
	}
	search := i18n.Fold(hostname + " " + fq + " " + h.OS + " " + h.Addr)
	err = tx.QueryRow(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, fqdn, os_family, os_name, role, addresses, source, search, first_seen_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		unitID, hostname, key, fq, osFamily(h.OS), i18n.Clip(h.OS, 200), role, addrText, SourceScan, search, nowUS, nowUS).Scan(&id)
	if err != nil {
		return 0, false, fmt.Errorf("hosts: add scanned host %s: %w", hostname, err)
	}
	return id, true, nil
}

func osFamily(os string) string {
	l := strings.ToLower(os)
	switch {
	case strings.Contains(l, "windows"):
		return "windows"
	case strings.Contains(l, "mac os") || strings.Contains(l, "macos"):
		return "darwin"
	case strings.Contains(l, "linux") || strings.Contains(l, "ubuntu") || strings.Contains(l, "debian") || strings.Contains(l, "centos") || strings.Contains(l, "red hat"):
		return "linux"
	}
	return ""
}
