package asset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/datafile"
)

// OsqueryQueries is the query pack the osquery importer reads, by result
// name (docs/inventory-import.md; testdata/osquery/vigil-pack.conf). Each
// runs with `osqueryi --json`; tables of another OS return no rows.
var OsqueryQueries = []struct{ Name, SQL string }{
	{"system_info", "SELECT hostname, computer_name, uuid, cpu_brand, cpu_physical_cores, cpu_logical_cores, physical_memory, hardware_vendor, hardware_model, hardware_serial FROM system_info;"},
	{"os_version", "SELECT name, version, build, platform, codename, arch FROM os_version;"},
	{"kernel_info", "SELECT version FROM kernel_info;"},
	{"uptime", "SELECT total_seconds FROM uptime;"},
	{"interface_addresses", "SELECT interface, address, mask FROM interface_addresses;"},
	{"interface_details", "SELECT interface, mac FROM interface_details;"},
	{"routes", "SELECT destination, netmask, gateway FROM routes WHERE destination IN ('0.0.0.0', '::') AND netmask = 0;"},
	{"dns_resolvers", "SELECT address FROM dns_resolvers WHERE type = 'nameserver';"},
	{"listening_ports", "SELECT lp.protocol, lp.address, lp.port, lp.pid, p.name FROM listening_ports lp LEFT JOIN processes p USING (pid) WHERE lp.port != 0;"},
	{"processes", "SELECT p.pid, p.parent, p.name, p.path, u.username FROM processes p LEFT JOIN users u ON p.uid = u.uid;"},
	{"deb_packages", "SELECT name, version, arch, maintainer FROM deb_packages;"},
	{"rpm_packages", "SELECT name, version, release, epoch, arch, vendor, install_time FROM rpm_packages;"},
	{"programs", "SELECT name, version, publisher, install_date FROM programs;"},
	{"patches", "SELECT hotfix_id, installed_on, description FROM patches;"},
	{"users", "SELECT u.uid, u.uuid, u.username, u.shell, u.type, (SELECT group_concat(g.groupname, ',') FROM user_groups ug JOIN groups g ON g.gid = ug.gid WHERE ug.uid = u.uid) AS groups FROM users u;"},
	{"logged_in_users", "SELECT user, tty, host, time FROM logged_in_users WHERE type = 'user';"},
	{"mounts", "SELECT path, device, type, blocks_size, blocks, blocks_available FROM mounts;"},
	{"logical_drives", "SELECT device_id, file_system, size, free_space FROM logical_drives;"},
	{"windows_security_products", "SELECT type, name, state, signatures_up_to_date, state_timestamp FROM windows_security_products;"},
	{"windows_security_center", "SELECT firewall, autoupdate, antivirus FROM windows_security_center;"},
	{"bitlocker_info", "SELECT drive_letter, protection_status FROM bitlocker_info;"},
}

// osqRow is one result row. osqueryi prints every column as a string;
// numbers are accepted too.
type osqRow map[string]any

func (r osqRow) str(k string) string {
	switch v := r[k].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func (r osqRow) int(k string) int64 {
	n, _ := strconv.ParseInt(r.str(k), 10, 64)
	return n
}

// osqHost is the results of the pack for one host.
type osqHost struct {
	id      string // hostIdentifier, for the results-log form
	at      time.Time
	results map[string][]osqRow
}

// ParseOsquery reads osquery results for the query pack OsqueryQueries in
// either form:
//
//   - one JSON object per host whose keys are query names and values the
//     `osqueryi --json` output of that query (what collect.sh in
//     docs/inventory-import.md writes); several such objects may follow each
//     other in one file;
//   - osqueryd's results log (one JSON line per query run, snapshot
//     queries: {"name":"pack_vigil_system_info","hostIdentifier":...,
//     "unixTime":...,"snapshot":[...]}), grouped by hostIdentifier.
//
// Unknown query names are ignored. Errors name file and, for the log form,
// line.
func ParseOsquery(r io.Reader, file string) ([]*Inventory, error) {
	return parseOsquery(r, file, DefaultMaxImportHosts)
}

func parseOsquery(r io.Reader, file string, maxHosts int) ([]*Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCSVBytes+1))
	if err != nil {
		return nil, &datafile.Error{File: file, Err: err}
	}
	if len(data) > maxCSVBytes {
		return nil, &datafile.Error{File: file, Err: fmt.Errorf("file larger than the %d MiB limit", maxCSVBytes>>20)}
	}
	hosts, err := osqDecode(data, file, maxHosts)
	if err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		return nil, &datafile.Error{File: file, Err: errors.New("no osquery results found")}
	}
	var out []*Inventory
	seen := map[string]bool{}
	for i, h := range hosts {
		inv, err := osqInventory(h)
		if err != nil {
			return nil, &datafile.Error{File: file, Record: fmt.Sprintf("host %d", i+1), Err: err}
		}
		if seen[inv.Hostname] {
			return nil, &datafile.Error{File: file, Err: fmt.Errorf("host %q appears twice", inv.Hostname)}
		}
		seen[inv.Hostname] = true
		if CheckHostname(inv.Hostname) == nil {
			inv.Sanitize() // machine data: a weird process name must not sink the import
		}
		if err := inv.Validate(); err != nil {
			return nil, &datafile.Error{File: file, Record: fmt.Sprintf("host %q", inv.Hostname), Err: err}
		}
		inv.Normalize()
		out = append(out, inv)
	}
	return out, nil
}

func osqDecode(data []byte, file string, maxHosts int) ([]*osqHost, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var hosts []*osqHost
	byID := map[string]*osqHost{}
	for n := 1; ; n++ {
		var obj map[string]json.RawMessage
		off := dec.InputOffset()
		err := dec.Decode(&obj)
		if err == io.EOF {
			break
		}
		line := 1 + bytes.Count(data[:off], []byte{'\n'})
		if off < int64(len(data)) && data[off] == '\n' {
			line++
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, &datafile.Error{File: file, Line: line, Err: errors.New("malformed JSON: unexpected end of input")}
			}
			var se *json.SyntaxError
			if errors.As(err, &se) {
				l := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte{'\n'})
				return nil, &datafile.Error{File: file, Line: l, Err: fmt.Errorf("malformed JSON: %w", err)}
			}
			return nil, &datafile.Error{File: file, Line: line, Err: fmt.Errorf("expected a JSON object: %w", err)}
		}
		if snap, ok := obj["snapshot"]; ok {
			// Results-log line.
			var name, id string
			json.Unmarshal(obj["name"], &name)
			json.Unmarshal(obj["hostIdentifier"], &id)
			var rows []osqRow
			if err := json.Unmarshal(snap, &rows); err != nil {
				return nil, &datafile.Error{File: file, Line: line, Field: "snapshot", Err: errors.New("expected an array of rows")}
			}
			if id == "" {
				return nil, &datafile.Error{File: file, Line: line, Field: "hostIdentifier", Err: errors.New("required")}
			}
			h := byID[id]
			if h == nil {
				if len(hosts) == maxHosts {
					return nil, &datafile.Error{File: file, Line: line, Err: &TooManyHostsError{Limit: maxHosts}}
				}
				h = &osqHost{id: id, results: map[string][]osqRow{}}
				byID[id] = h
				hosts = append(hosts, h)
			}
			var unix json.Number
			json.Unmarshal(obj["unixTime"], &unix)
			if sec, err := unix.Int64(); err == nil && sec > 0 {
				if t := time.Unix(sec, 0).UTC(); t.After(h.at) {
					h.at = t
				}
			}
			if q := osqQueryName(name); q != "" {
				h.results[q] = rows
			}
			continue
		}
		h := &osqHost{results: map[string][]osqRow{}}
		for k, v := range obj {
			q := osqQueryName(k)
			if q == "" {
				continue
			}
			var rows []osqRow
			if err := json.Unmarshal(v, &rows); err != nil {
				return nil, &datafile.Error{File: file, Line: line, Field: k, Err: errors.New("expected the osqueryi --json output (an array of rows)")}
			}
			h.results[q] = rows
		}
		if len(h.results) == 0 {
			return nil, &datafile.Error{File: file, Line: line, Err: errors.New("object has none of the query pack's results (system_info, os_version, ...)")}
		}
		if len(hosts) == maxHosts {
			return nil, &datafile.Error{File: file, Line: line, Err: &TooManyHostsError{Limit: maxHosts}}
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// osqQueryName maps a result name to a pack query: "system_info",
// "pack_vigil_system_info", "pack/vigil/system_info".
func osqQueryName(name string) string {
	best := ""
	for _, q := range OsqueryQueries {
		if name == q.Name {
			return q.Name
		}
		// The longest suffix wins: "pack_vigil_logged_in_users" is
		// logged_in_users, not users.
		if (strings.HasSuffix(name, "_"+q.Name) || strings.HasSuffix(name, "/"+q.Name)) && len(q.Name) > len(best) {
			best = q.Name
		}
	}
	return best
}

func osqInventory(h *osqHost) (*Inventory, error) {
	res := h.results
	inv := &Inventory{Source: SourceOsquery, CollectedAt: h.at}
	first := func(q string) osqRow {
		if rows := res[q]; len(rows) > 0 {
			return rows[0]
		}
		return osqRow{}
	}
	si := first("system_info")
	host := si.str("hostname")
	if host == "" {
		host = si.str("computer_name")
	}
	if host == "" {
		host = h.id
	}
	if host == "" {
		return nil, errors.New("system_info: no hostname (is the system_info query in the results?)")
	}
	// The name keeps its case as the host reports it; hosts match
	// case-insensitively (hostname_key).
	if short, _, ok := strings.Cut(host, "."); ok {
		inv.FQDN = host
		inv.Domain, inv.DomainKind = host[len(short)+1:], "dns"
		host = short
	}
	inv.Hostname = host
	inv.MachineID = strings.ToLower(si.str("uuid"))
	inv.Hardware = Hardware{CPUModel: si.str("cpu_brand"), CPUCores: int(si.int("cpu_physical_cores")), CPUThreads: int(si.int("cpu_logical_cores")),
		MemoryBytes: uint64(max(si.int("physical_memory"), 0)), Vendor: si.str("hardware_vendor"), Model: si.str("hardware_model"), Serial: si.str("hardware_serial")}
	ov := first("os_version")
	inv.OS = OS{Name: ov.str("name"), Version: ov.str("version"), Build: ov.str("build"), Arch: ov.str("arch"), Kernel: first("kernel_info").str("version")}
	if inv.OS.Build == "" {
		inv.OS.Build = ov.str("codename")
	}
	switch p := ov.str("platform"); {
	case p == "windows":
		inv.OS.Family = "windows"
		if strings.Contains(strings.ToLower(inv.OS.Name), "server") {
			inv.Role = RoleServer
		} else {
			inv.Role = RoleWorkstation
		}
	case p == "darwin":
		inv.OS.Family = "darwin"
		inv.Role = RoleWorkstation
	case p != "":
		inv.OS.Family = "linux"
	}
	if up := first("uptime").int("total_seconds"); up > 0 && !h.at.IsZero() {
		bt := h.at.Add(-time.Duration(up) * time.Second)
		inv.BootTime = &bt
	}

	// Interfaces: addresses with their mask as a prefix length.
	ifs := map[string]*Interface{}
	var order []string
	ifc := func(name string) *Interface {
		if i, ok := ifs[name]; ok {
			return i
		}
		i := &Interface{Name: name, Addresses: []string{}}
		ifs[name] = i
		order = append(order, name)
		return i
	}
	for _, r := range res["interface_addresses"] {
		a, err := netip.ParseAddr(strings.SplitN(r.str("address"), "%", 2)[0])
		if err != nil || a.IsLoopback() {
			continue
		}
		bits := maskBits(r.str("mask"), a)
		ifc(r.str("interface")).Addresses = append(ifc(r.str("interface")).Addresses, netip.PrefixFrom(a, bits).String())
	}
	for _, r := range res["interface_details"] {
		mac := strings.ToLower(r.str("mac"))
		if mac == "" || mac == "00:00:00:00:00:00" {
			continue
		}
		if _, ok := ifs[r.str("interface")]; ok {
			ifs[r.str("interface")].MAC = mac
		}
	}
	for _, n := range order {
		inv.Interfaces = append(inv.Interfaces, *ifs[n])
	}
	for _, r := range res["routes"] {
		if a, err := netip.ParseAddr(r.str("gateway")); err == nil && !a.IsUnspecified() {
			inv.Gateways = append(inv.Gateways, a.String())
		}
	}
	for _, r := range res["dns_resolvers"] {
		if a, err := netip.ParseAddr(r.str("address")); err == nil {
			inv.DNSServers = append(inv.DNSServers, a.String())
		}
	}
	for _, r := range res["listening_ports"] {
		proto := map[string]string{"6": "tcp", "17": "udp"}[r.str("protocol")]
		a, err := netip.ParseAddr(r.str("address"))
		if proto == "" || err != nil {
			continue
		}
		inv.Listening = append(inv.Listening, Listener{Proto: proto, Address: a.Unmap().String(), Port: int(r.int("port")), PID: int(max(r.int("pid"), 0)), Process: r.str("name")})
	}
	for _, r := range res["processes"] {
		inv.Processes = append(inv.Processes, Process{PID: int(max(r.int("pid"), 0)), PPID: int(max(r.int("parent"), 0)), Name: r.str("name"), Path: r.str("path"), User: r.str("username")})
	}
	for _, r := range res["deb_packages"] {
		inv.Software = append(inv.Software, Software{Name: r.str("name"), Version: r.str("version"), Arch: r.str("arch"), Vendor: maintainerOnly(r.str("maintainer")), Source: SoftwareDpkg})
	}
	for _, r := range res["rpm_packages"] {
		v := r.str("version")
		if rel := r.str("release"); rel != "" {
			v += "-" + rel
		}
		if e := r.str("epoch"); e != "" && e != "0" {
			v = e + ":" + v
		}
		s := Software{Name: r.str("name"), Version: v, Arch: r.str("arch"), Vendor: r.str("vendor"), Source: SoftwareRPM}
		if sec := r.int("install_time"); sec > 0 {
			t := time.Unix(sec, 0).UTC()
			s.InstalledAt = &t
		}
		inv.Software = append(inv.Software, s)
	}
	for _, r := range res["programs"] {
		s := Software{Name: r.str("name"), Version: r.str("version"), Vendor: r.str("publisher"), Source: SoftwareRegistry}
		if t, err := time.Parse("20060102", r.str("install_date")); err == nil {
			s.InstalledAt = &t
		}
		inv.Software = append(inv.Software, s)
	}
	for _, r := range res["patches"] {
		h := Hotfix{ID: r.str("hotfix_id"), Description: r.str("description")}
		if h.ID == "" {
			continue
		}
		if t, ok := parseOsqDate(r.str("installed_on")); ok {
			h.InstalledAt = &t
			if inv.LastPatchAt == nil || t.After(*inv.LastPatchAt) {
				tt := t
				inv.LastPatchAt = &tt
			}
		}
		inv.Hotfixes = append(inv.Hotfixes, h)
	}
	for _, r := range res["users"] {
		name := r.str("username")
		if name == "" {
			continue
		}
		groups := strings.Split(strings.ToLower(r.str("groups")), ",")
		a := Account{Name: name, UID: r.str("uid"), Enabled: true}
		if sid := r.str("uuid"); strings.HasPrefix(sid, "S-1-") {
			a.UID = sid
		}
		for _, g := range groups {
			switch strings.TrimSpace(g) {
			case "sudo", "wheel", "admin", "administrators":
				a.Admin = true
			}
		}
		if a.UID == "0" {
			a.Admin = true
		}
		for _, s := range []string{"/nologin", "/false"} {
			if strings.HasSuffix(r.str("shell"), s) {
				a.Enabled = false
			}
		}
		if uid := r.int("uid"); inv.OS.Family == "linux" && uid > 0 && (uid < 1000 || uid == 65534) {
			a.System = true
		}
		inv.Accounts = append(inv.Accounts, a)
	}
	for _, r := range res["logged_in_users"] {
		s := Session{User: r.str("user"), Terminal: r.str("tty"), From: r.str("host")}
		if sec := r.int("time"); sec > 0 {
			t := time.Unix(sec, 0).UTC()
			s.Since = &t
		}
		if s.User != "" {
			inv.LoggedOn = append(inv.LoggedOn, s)
		}
	}
	for _, r := range res["mounts"] {
		if !osqRealFS[r.str("type")] {
			continue
		}
		bs := uint64(max(r.int("blocks_size"), 0))
		inv.Disks = append(inv.Disks, Disk{Mount: r.str("path"), Device: r.str("device"), FSType: r.str("type"),
			SizeBytes: bs * uint64(max(r.int("blocks"), 0)), FreeBytes: bs * uint64(max(r.int("blocks_available"), 0))})
	}
	encrypted := map[string]bool{}
	for _, r := range res["bitlocker_info"] {
		encrypted[strings.ToUpper(r.str("drive_letter"))] = r.int("protection_status") == 1
	}
	for _, r := range res["logical_drives"] {
		d := Disk{Mount: r.str("device_id"), FSType: r.str("file_system"), SizeBytes: uint64(max(r.int("size"), 0)), FreeBytes: uint64(max(r.int("free_space"), 0))}
		if len(res["bitlocker_info"]) > 0 {
			e := encrypted[strings.ToUpper(d.Mount)]
			d.Encrypted = &e
		}
		inv.Disks = append(inv.Disks, d)
	}
	if len(res["bitlocker_info"]) > 0 {
		inv.Controls = append(inv.Controls, Control{Kind: ControlDiskEncryption, Product: "BitLocker", Enabled: encrypted["C:"]})
	}
	for _, r := range res["windows_security_products"] {
		kind := map[string]string{"antivirus": ControlAntivirus, "firewall": ControlFirewall}[strings.ToLower(r.str("type"))]
		if kind == "" || r.str("name") == "" {
			continue
		}
		c := Control{Kind: kind, Product: r.str("name"), Enabled: strings.EqualFold(r.str("state"), "On")}
		if kind == ControlAntivirus {
			c.RealTime = &c.Enabled
			if r.str("signatures_up_to_date") == "0" {
				c.Detail = "signatures out of date"
			}
		}
		if t, ok := parseOsqDate(r.str("state_timestamp")); ok {
			c.UpdatedAt = &t
		}
		inv.Controls = append(inv.Controls, c)
	}
	if wsc := first("windows_security_center"); len(wsc) > 0 {
		if v := wsc.str("autoupdate"); v != "" {
			inv.Controls = append(inv.Controls, Control{Kind: ControlAutoUpdate, Product: "Windows Update", Enabled: strings.EqualFold(v, "Good"), Detail: "Security Center: " + v})
		}
		if v := wsc.str("firewall"); v != "" && !hasKind(inv.Controls, ControlFirewall) {
			inv.Controls = append(inv.Controls, Control{Kind: ControlFirewall, Product: "Windows Firewall", Enabled: strings.EqualFold(v, "Good"), Detail: "Security Center: " + v})
		}
	}
	sort.SliceStable(inv.Controls, func(i, j int) bool { return inv.Controls[i].Kind < inv.Controls[j].Kind })
	return inv, nil
}

func hasKind(cs []Control, kind string) bool {
	for _, c := range cs {
		if c.Kind == kind {
			return true
		}
	}
	return false
}

var osqRealFS = map[string]bool{"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true, "vfat": true, "apfs": true, "hfs": true, "ntfs": true, "f2fs": true}

// maskBits turns "255.255.255.0" or "ffff:ffff:ffff:ffff::" into a prefix
// length; an unreadable mask gives a host prefix.
func maskBits(mask string, a netip.Addr) int {
	m, err := netip.ParseAddr(mask)
	if err != nil || m.BitLen() != a.BitLen() {
		return a.BitLen()
	}
	bits := 0
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) == 0 {
				return bits
			}
			bits++
		}
	}
	return bits
}

func maintainerOnly(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// parseOsqDate reads osquery's dates: patches.installed_on is the WMI
// string ("11/13/2024"), state_timestamp an RFC 1123 or ISO time.
func parseOsqDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"1/2/2006", "2006-01-02", time.RFC3339, time.RFC1123, "20060102", "Mon Jan 2 15:04:05 2006"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1990 {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// ParseInventoryFile reads an inventory import in any of the three forms,
// telling them apart by content: `vigil agent collect` JSON (one object,
// an array of them, or one per line), osquery results (objects keyed by
// query name, or an osqueryd results log), or the CSV template.
func ParseInventoryFile(r io.Reader, file string) ([]*Inventory, error) {
	return parseInventoryFile(r, file, DefaultMaxImportHosts)
}

func parseInventoryFile(r io.Reader, file string, maxHosts int) ([]*Inventory, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(64 << 10)
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
		return parseCSV(br, file, maxHosts)
	}
	if trimmed[0] == '{' {
		// Tell by the first key: osquery results start with a query name
		// or with the results log's fields; anything else is an agent
		// document.
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.Token() // '{'
		key, _ := dec.Token()
		k, _ := key.(string)
		if osqQueryName(k) != "" || k == "name" || k == "hostIdentifier" || k == "calendarTime" || k == "unixTime" || k == "snapshot" || k == "action" || k == "decorations" {
			return parseOsquery(br, file, maxHosts)
		}
	}
	return parseAgentDocs(br, file, maxHosts)
}

// parseAgentDocs reads agent inventories: one object, an array, or a
// sequence (JSON lines), one record at a time, so the file itself is never
// held whole. Errors name the record and the JSON path.
func parseAgentDocs(r io.Reader, file string, maxHosts int) ([]*Inventory, error) {
	lr := &io.LimitedReader{R: r, N: maxCSVBytes + 1}
	br := bufio.NewReader(lr)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	dec := json.NewDecoder(br)
	tooBig := func(err error) error {
		if lr.N <= 0 {
			return &datafile.Error{File: file, Err: fmt.Errorf("file larger than the %d MiB limit", maxCSVBytes>>20)}
		}
		return err
	}
	array := false
	if first, _ := skipSpace(br); first == '[' {
		array = true
		if _, err := dec.Token(); err != nil {
			return nil, tooBig(&datafile.Error{File: file, Err: fmt.Errorf("expected an array of inventory objects: %w", err)})
		}
	}
	var out []*Inventory
	var one error // the error of a lone record, reported without its number
	for n := 1; ; n++ {
		if array && !dec.More() {
			if _, err := dec.Token(); err != nil {
				return nil, tooBig(&datafile.Error{File: file, Err: fmt.Errorf("expected an array of inventory objects: %w", err)})
			}
			break
		}
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF && !array {
			break
		}
		if err != nil {
			if array {
				return nil, tooBig(&datafile.Error{File: file, Err: fmt.Errorf("expected an array of inventory objects: %w", err)})
			}
			return nil, tooBig(&datafile.Error{File: file, Record: fmt.Sprintf("record %d", n), Err: fmt.Errorf("malformed JSON: %w", err)})
		}
		if len(out) == maxHosts {
			return nil, &datafile.Error{File: file, Record: fmt.Sprintf("record %d", n), Err: &TooManyHostsError{Limit: maxHosts}}
		}
		if one != nil {
			return nil, &datafile.Error{File: file, Record: "record 1", Err: one}
		}
		if len(raw) > MaxDocumentBytes {
			return nil, &datafile.Error{File: file, Record: fmt.Sprintf("record %d", n), Err: fmt.Errorf("%w: the limit is %d MiB", ErrTooLarge, MaxDocumentBytes>>20)}
		}
		inv, err := Unmarshal(raw)
		if err == nil {
			err = inv.Validate()
		}
		if err != nil {
			if n == 1 {
				// Named by its number only if a second record follows.
				one = err
				continue
			}
			return nil, &datafile.Error{File: file, Record: fmt.Sprintf("record %d", n), Err: err}
		}
		inv.Normalize()
		out = append(out, inv)
	}
	if one != nil {
		return nil, &datafile.Error{File: file, Err: one}
	}
	if len(out) == 0 {
		return nil, &datafile.Error{File: file, Err: errors.New("no inventory records")}
	}
	return out, nil
}

// skipSpace discards white space and returns the next byte, unread.
func skipSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return b, br.UnreadByte()
		}
	}
}
