package asset

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"vigil/internal/datafile"
)

// CSVColumns are the columns of the inventory CSV template, in template
// order (docs/inventory-import.md). Only hostname is required; the others
// may be absent or empty.
var CSVColumns = []string{
	"hostname", "fqdn", "domain", "role",
	"os_name", "os_version", "os_build", "kernel", "arch",
	"addresses", "mac", "cpu_model", "cpu_cores", "memory_gb",
	"antivirus", "antivirus_enabled", "antivirus_updated",
	"edr", "edr_enabled",
	"firewall", "firewall_enabled",
	"disk_encryption", "disk_encryption_enabled",
	"auto_update_enabled", "last_patch",
	"software", "hotfixes", "admins", "collected_at",
}

// csvSpec maps the header names the template accepts to CSVColumns:
// the names themselves (case, spaces, '_' and '-' do not matter: "OS
// Name" is os_name) and a few names other tools' exports use.
var csvSpec = func() *datafile.Spec {
	aliases := map[string][]string{
		"hostname":  {"host", "computer name", "computername", "tên máy"},
		"os_name":   {"os", "operating system", "hệ điều hành"},
		"addresses": {"ip", "ip address", "ip addresses", "địa chỉ ip"},
		"mac":       {"mac address"},
	}
	s := &datafile.Spec{}
	for _, c := range CSVColumns {
		s.Columns = append(s.Columns, datafile.Column{Name: c, Aliases: aliases[c], Required: c == "hostname"})
	}
	return s
}()

// maxCSVBytes bounds a CSV import: 50,000 hosts of a few kilobytes.
const maxCSVBytes = 256 << 20

// ParseCSV reads the inventory CSV template: a header naming the columns
// (any order, a subset of CSVColumns; comma or semicolon separated; an
// Excel BOM is fine) and one host a row. It returns every host or, at the
// first bad value, nothing and a *datafile.Error naming line, column and
// field: an import is all or nothing. file names the input in errors.
func ParseCSV(r io.Reader, file string) ([]*Inventory, error) {
	return parseCSV(r, file, DefaultMaxImportHosts)
}

func parseCSV(r io.Reader, file string, maxHosts int) ([]*Inventory, error) {
	lr := &io.LimitedReader{R: r, N: maxCSVBytes + 1}
	c, err := datafile.NewCSV(lr, file, csvSpec)
	if err != nil {
		return nil, tooLarge(lr, file, err)
	}
	var out []*Inventory
	seen := map[string]int{}
	for {
		err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, tooLarge(lr, file, quoteHint(err))
		}
		line := c.Line()
		if len(out) == maxHosts {
			return nil, &datafile.Error{File: file, Line: line, Err: &TooManyHostsError{Limit: maxHosts}}
		}
		inv, ferr := csvHost(c)
		if ferr != nil {
			return nil, ferr
		}
		key := strings.ToLower(inv.Hostname)
		if prev, dup := seen[key]; dup {
			return nil, c.Errorf("hostname", "host %q already on line %d", inv.Hostname, prev)
		}
		seen[key] = line
		if err := inv.Validate(); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				f := ve.Fields[0]
				return nil, &datafile.Error{File: file, Line: line, Field: f.Path, Err: errors.New(f.Msg)}
			}
			return nil, c.Error("", err)
		}
		inv.Normalize()
		out = append(out, inv)
	}
	if lr.N <= 0 {
		return nil, tooLarge(lr, file, nil)
	}
	if len(out) == 0 {
		return nil, &datafile.Error{File: file, Line: 2, Err: errors.New("no hosts: the file has a header but no rows")}
	}
	return out, nil
}

// quoteHint says how to fix the usual cause of a row longer than the
// header: a list ("Firefox=132; 7-Zip=24.08") holding the separator,
// not quoted.
func quoteHint(err error) error {
	var de *datafile.Error
	if errors.Is(err, datafile.ErrTooManyFields) && errors.As(err, &de) {
		e := *de
		e.Err = fmt.Errorf("%w: a value holding the separator (a list in software, hotfixes or admins) must be in double quotes, as in \"Firefox=132; 7-Zip=24.08\"", de.Err)
		return &e
	}
	return err
}

// tooLarge replaces err (which may be a cut-off last line) with the size
// limit when the input went past it.
func tooLarge(lr *io.LimitedReader, file string, err error) error {
	if lr.N <= 0 {
		return &datafile.Error{File: file, Err: fmt.Errorf("file larger than the %d MiB limit", maxCSVBytes>>20)}
	}
	return err
}

// csvHost builds one host from the current row of c.
func csvHost(c *datafile.CSV) (*Inventory, error) {
	bad := func(field, format string, args ...any) error { return c.Errorf(field, format, args...) }
	get := func(name string) (string, int) { return c.Get(name), c.Column(name) }
	inv := &Inventory{Source: SourceCSV}
	host, _ := get("hostname")
	if err := CheckHostname(host); err != nil {
		return nil, bad("hostname", "%v", err)
	}
	inv.Hostname = host // as written; hosts match case-insensitively (hostname_key)
	if before, _, ok := strings.Cut(inv.Hostname, "."); ok {
		inv.FQDN, inv.Hostname = inv.Hostname, before
	}
	if v, _ := get("fqdn"); v != "" {
		if err := CheckHostname(v); err != nil {
			return nil, bad("fqdn", "%v", err)
		}
		inv.FQDN = strings.ToLower(v)
	}
	inv.Domain, _ = get("domain")
	if inv.Domain != "" {
		inv.DomainKind = "dns"
		if !strings.Contains(inv.Domain, ".") {
			inv.DomainKind = "workgroup"
		}
	}
	switch role, _ := get("role"); strings.ToLower(role) {
	case "":
	case "server", "srv", "máy chủ", "may chu":
		inv.Role = RoleServer
	case "workstation", "ws", "desktop", "laptop", "máy trạm", "may tram":
		inv.Role = RoleWorkstation
	default:
		return nil, bad("role", "must be server or workstation, got %q", short(role))
	}
	inv.OS.Name, _ = get("os_name")
	inv.OS.Version, _ = get("os_version")
	inv.OS.Build, _ = get("os_build")
	inv.OS.Kernel, _ = get("kernel")
	inv.OS.Arch, _ = get("arch")
	if strings.Contains(strings.ToLower(inv.OS.Name), "windows") {
		inv.OS.Family = "windows"
	} else if inv.OS.Name != "" {
		inv.OS.Family = "linux"
		for _, f := range []string{"mac", "darwin", "bsd"} {
			if strings.Contains(strings.ToLower(inv.OS.Name), f) {
				inv.OS.Family = ""
			}
		}
	}

	ifc := Interface{Name: "imported", Addresses: []string{}}
	if v, _ := get("addresses"); v != "" {
		for _, a := range splitList(v) {
			if strings.Contains(a, "/") {
				if _, err := netip.ParsePrefix(a); err != nil {
					return nil, bad("addresses", "not an IP address or CIDR prefix: %q", short(a))
				}
			} else if _, err := netip.ParseAddr(a); err != nil {
				return nil, bad("addresses", "not an IP address: %q", short(a))
			}
			ifc.Addresses = append(ifc.Addresses, a)
		}
	}
	if v, _ := get("mac"); v != "" {
		if !validMAC(v) {
			return nil, bad("mac", "not a MAC address: %q", short(v))
		}
		ifc.MAC = strings.ToLower(strings.ReplaceAll(v, "-", ":"))
	}
	if len(ifc.Addresses) > 0 || ifc.MAC != "" {
		inv.Interfaces = []Interface{ifc}
	}
	inv.Hardware.CPUModel, _ = get("cpu_model")
	if v, _ := get("cpu_cores"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1<<16 {
			return nil, bad("cpu_cores", "not a number of cores: %q", short(v))
		}
		inv.Hardware.CPUCores = n
	}
	if v, _ := get("memory_gb"); v != "" {
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
		if err != nil || f < 0 || f > 1<<20 {
			return nil, bad("memory_gb", "not a size in GB: %q", short(v))
		}
		inv.Hardware.MemoryBytes = uint64(f * (1 << 30))
	}

	// Controls: a product name with an enabled flag, or just the flag.
	type ctl struct{ kind, product, enabled, updated, fallback string }
	for _, c := range []ctl{
		{ControlAntivirus, "antivirus", "antivirus_enabled", "antivirus_updated", "antivirus"},
		{ControlEDR, "edr", "edr_enabled", "", "EDR"},
		{ControlFirewall, "firewall", "firewall_enabled", "", "host firewall"},
		{ControlDiskEncryption, "disk_encryption", "disk_encryption_enabled", "", "disk encryption"},
		{ControlAutoUpdate, "", "auto_update_enabled", "", "automatic updates"},
	} {
		product := ""
		if c.product != "" {
			product, _ = get(c.product)
		}
		ev, _ := get(c.enabled)
		if product == "" && ev == "" {
			continue
		}
		var enabled bool
		if ev == "" {
			enabled = true // a named product with no flag is taken as on
		} else {
			b, ok := parseYesNo(ev)
			if !ok {
				return nil, bad(c.enabled, "must be yes or no, got %q", short(ev))
			}
			enabled = b
		}
		if product == "" {
			product = c.fallback
		}
		control := Control{Kind: c.kind, Product: product, Enabled: enabled}
		if c.updated != "" {
			if v, _ := get(c.updated); v != "" {
				t, err := parseImportDate(v)
				if err != nil {
					return nil, bad(c.updated, "%v", err)
				}
				control.UpdatedAt = &t
			}
		}
		inv.Controls = append(inv.Controls, control)
	}
	if v, _ := get("last_patch"); v != "" {
		t, err := parseImportDate(v)
		if err != nil {
			return nil, bad("last_patch", "%v", err)
		}
		inv.LastPatchAt = &t
	}
	if v, _ := get("collected_at"); v != "" {
		t, err := parseImportDate(v)
		if err != nil {
			return nil, bad("collected_at", "%v", err)
		}
		inv.CollectedAt = t
	}
	if v, _ := get("software"); v != "" {
		for i, item := range splitItems(v) {
			name, ver, _ := strings.Cut(item, "=")
			name, ver = strings.TrimSpace(name), strings.TrimSpace(ver)
			if name == "" {
				return nil, bad("software", "item %d %q has no name (write name=version; name=version)", i+1, short(item))
			}
			inv.Software = append(inv.Software, Software{Name: name, Version: ver, Source: SoftwareImport})
		}
	}
	if v, _ := get("hotfixes"); v != "" {
		for i, item := range splitItems(v) {
			f := strings.Fields(item)
			if len(f) == 0 || len(f) > 2 {
				return nil, bad("hotfixes", "item %d %q: write KB1234567 or KB1234567 2024-11-13", i+1, short(item))
			}
			h := Hotfix{ID: strings.ToUpper(f[0])}
			if len(f) == 2 {
				t, err := parseImportDate(f[1])
				if err != nil {
					return nil, bad("hotfixes", "item %d: %v", i+1, err)
				}
				h.InstalledAt = &t
			}
			inv.Hotfixes = append(inv.Hotfixes, h)
		}
	}
	if v, _ := get("admins"); v != "" {
		for _, a := range splitItems(v) {
			inv.Accounts = append(inv.Accounts, Account{Name: a, Admin: true, Enabled: true})
		}
	}
	return inv, nil
}

// splitList splits on spaces, commas and semicolons.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
}

// splitItems splits on semicolons and newlines (names may hold spaces and
// commas).
func splitItems(s string) []string {
	var out []string
	for _, it := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func validMAC(s string) bool {
	s = strings.ReplaceAll(s, "-", ":")
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func parseYesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1", "on", "có", "co", "x":
		return true, true
	case "no", "n", "false", "0", "off", "không", "khong":
		return false, true
	}
	return false, false
}

// parseImportDate accepts 2024-11-27, 2024-11-27T08:00:00Z (RFC 3339) and
// 27/11/2024 (day first, as written in Vietnam). Dates without a time are
// midnight in Asia/Ho_Chi_Minh (UTC+7), stored in UTC.
func parseImportDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	ict := time.FixedZone("ICT", 7*3600)
	for _, layout := range []string{"2006-01-02", "2/1/2006", "02/01/2006", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, ict); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q (write 2024-11-27 or 27/11/2024)", short(s))
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
