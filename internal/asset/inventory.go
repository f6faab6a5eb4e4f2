// Package asset is Vigil's picture of a host: the inventory document an
// agent collects (or an importer builds from CSV or osquery results), its
// validation, and the changes between two inventories of the same host.
package asset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
)

// SchemaVersion is the version of the inventory document this package
// writes. Readers accept documents without it (version 1).
const SchemaVersion = 1

// Sources of an inventory (Inventory.Source).
const (
	SourceAgent   = "agent"
	SourceCSV     = "csv"
	SourceOsquery = "osquery"
)

// Software sources (Software.Source).
const (
	SoftwareDpkg     = "dpkg"
	SoftwareRPM      = "rpm"
	SoftwareRegistry = "registry"      // HKLM Uninstall, 64-bit view
	SoftwareRegWOW   = "registry32"    // HKLM WOW6432Node Uninstall
	SoftwareRegUser  = "registry_user" // HKU\<sid> Uninstall
	SoftwareOsquery  = "osquery"
	SoftwareImport   = "import"
)

// Control kinds (Control.Kind).
const (
	ControlAntivirus      = "antivirus"
	ControlEDR            = "edr"
	ControlMonitoring     = "monitoring"
	ControlFirewall       = "firewall"
	ControlDiskEncryption = "disk_encryption"
	ControlAutoUpdate     = "auto_update"
)

var controlKinds = []string{ControlAntivirus, ControlEDR, ControlMonitoring, ControlFirewall, ControlDiskEncryption, ControlAutoUpdate}

// Roles (Inventory.Role).
const (
	RoleServer      = "server"
	RoleWorkstation = "workstation"
)

// Inventory is one host as seen at one moment: the JSON document
// `vigil agent collect` prints, the agent posts to the hub and the importers
// produce. Lists are sets: Normalize sorts them and drops duplicates so two
// inventories of an unchanged host marshal to the same bytes.
type Inventory struct {
	Schema       int       `json:"schema,omitempty"`
	Source       string    `json:"source,omitempty"` // agent, csv, osquery
	AgentVersion string    `json:"agent_version,omitempty"`
	CollectedAt  time.Time `json:"collected_at"`

	Hostname   string `json:"hostname"`
	FQDN       string `json:"fqdn,omitempty"`
	Domain     string `json:"domain,omitempty"`      // AD domain, workgroup or DNS domain
	DomainKind string `json:"domain_kind,omitempty"` // "ad", "workgroup" or "dns"
	Role       string `json:"role,omitempty"`        // server or workstation
	MachineID  string `json:"machine_id,omitempty"`  // /etc/machine-id, Windows MachineGuid, SMBIOS UUID

	OS       OS         `json:"os"`
	BootTime *time.Time `json:"boot_time,omitempty"`
	Hardware Hardware   `json:"hardware"`
	Disks    []Disk     `json:"disks,omitempty"`

	Interfaces []Interface `json:"interfaces"`
	DNSServers []string    `json:"dns_servers,omitempty"`
	Gateways   []string    `json:"gateways,omitempty"`
	Listening  []Listener  `json:"listening"`
	Processes  []Process   `json:"processes,omitempty"`

	Accounts []Account `json:"accounts"`
	LoggedOn []Session `json:"logged_on,omitempty"`

	Software    []Software `json:"software"`
	Hotfixes    []Hotfix   `json:"hotfixes"`
	LastPatchAt *time.Time `json:"last_patch_at,omitempty"`

	Controls []Control `json:"controls"`

	// Warnings lists collectors that failed or were skipped, so a missing
	// section reads as "unknown" rather than "none".
	Warnings []string `json:"warnings,omitempty"`
}

// OS describes the operating system.
type OS struct {
	Family  string `json:"family,omitempty"` // linux, windows, darwin, ...
	Name    string `json:"name"`             // "Debian GNU/Linux", "Microsoft Windows Server 2022 Standard"
	Version string `json:"version"`          // "12", "10.0.20348"
	Build   string `json:"build"`            // "bookworm", "20348.2340"
	Kernel  string `json:"kernel,omitempty"`
	Arch    string `json:"arch,omitempty"`
}

// Hardware is CPU, memory and the machine's make.
type Hardware struct {
	CPUModel    string `json:"cpu_model,omitempty"`
	CPUCores    int    `json:"cpu_cores,omitempty"`   // physical
	CPUThreads  int    `json:"cpu_threads,omitempty"` // logical
	MemoryBytes uint64 `json:"memory_bytes,omitempty"`
	Vendor      string `json:"vendor,omitempty"`
	Model       string `json:"model,omitempty"`
	Serial      string `json:"serial,omitempty"`
	Virtual     bool   `json:"virtual,omitempty"`
}

// Disk is one mounted filesystem or volume.
type Disk struct {
	Mount     string `json:"mount"` // "/", "C:"
	Device    string `json:"device,omitempty"`
	FSType    string `json:"fs_type,omitempty"`
	SizeBytes uint64 `json:"size_bytes,omitempty"`
	FreeBytes uint64 `json:"free_bytes,omitempty"`
	Encrypted *bool  `json:"encrypted,omitempty"` // nil: unknown
}

// Interface is a network interface with its addresses in CIDR form.
type Interface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac"`
	Addresses []string `json:"addresses"` // "192.0.2.10/24", "2001:db8::10/64"
}

// Listener is a listening TCP socket or bound UDP socket.
type Listener struct {
	Proto   string `json:"proto"`   // tcp or udp
	Address string `json:"address"` // "0.0.0.0", "::", "127.0.0.1"
	Port    int    `json:"port"`
	Process string `json:"process"` // process name; "" when unknown
	PID     int    `json:"pid,omitempty"`
}

// Process is a running process. Command lines are not collected: they
// carry secrets too often.
type Process struct {
	PID    int    `json:"pid"`
	PPID   int    `json:"ppid,omitempty"`
	Name   string `json:"name"`
	Path   string `json:"path,omitempty"`
	User   string `json:"user,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Account is a local account.
type Account struct {
	Name      string     `json:"name"`
	UID       string     `json:"uid,omitempty"` // uid or SID
	Admin     bool       `json:"admin"`
	Enabled   bool       `json:"enabled"`
	System    bool       `json:"system,omitempty"` // service account (uid < 1000, no login shell)
	LastLogon *time.Time `json:"last_logon,omitempty"`
}

// Session is a logged-on user.
type Session struct {
	User     string     `json:"user"`
	Terminal string     `json:"terminal,omitempty"`
	From     string     `json:"from,omitempty"` // remote host, if any
	Since    *time.Time `json:"since,omitempty"`
}

// Software is one installed package or program.
type Software struct {
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	Vendor      string     `json:"vendor"`
	Source      string     `json:"source"` // dpkg, rpm, registry, registry32, registry_user, osquery, import
	Arch        string     `json:"arch,omitempty"`
	InstalledAt *time.Time `json:"installed_at,omitempty"`
}

// Hotfix is an installed Windows update (KB).
type Hotfix struct {
	ID          string     `json:"id"` // "KB5034439"
	InstalledAt *time.Time `json:"installed_at"`
	Description string     `json:"description,omitempty"`
}

// Control is a security control found on the host: an antivirus or EDR
// product, a monitoring agent, the host firewall, disk encryption or
// automatic updates.
type Control struct {
	Kind      string     `json:"kind"`
	Product   string     `json:"product"`
	Enabled   bool       `json:"enabled"`
	UpdatedAt *time.Time `json:"updated_at"` // signatures (antivirus) or last update
	RealTime  *bool      `json:"real_time,omitempty"`
	Running   *bool      `json:"running,omitempty"`
	Version   string     `json:"version,omitempty"`
	Detail    string     `json:"detail,omitempty"`
	// Profiles is the state of each profile of a control that has several
	// (the Domain, Private and Public profiles of Windows Firewall), so
	// "off" can say where.
	Profiles []ControlProfile `json:"profiles,omitempty"`
}

// ControlProfile is one profile of a control.
type ControlProfile struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// maxProfiles bounds Control.Profiles.
const maxProfiles = 16

// Limits on an inventory document. The hub refuses documents past them with
// a message naming the limit.
const (
	MaxDocumentBytes = 16 << 20
	maxHostname      = 253
	maxName          = 512
	maxVersion       = 256
	maxPath          = 4096
	maxDetail        = 4096
)

// maxItems bounds each list by its JSON name.
var maxItems = map[string]int{
	"disks": 1024, "interfaces": 1024, "addresses": 1024, "dns_servers": 64, "gateways": 64,
	"listening": 20000, "processes": 20000, "accounts": 20000, "logged_on": 5000,
	"software": 50000, "hotfixes": 10000, "controls": 256, "warnings": 256,
}

// FieldError is one invalid field, named by its JSON path
// ("software[12].version").
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ValidationError lists the invalid fields of one inventory, in document
// order. Its message shows the first few.
type ValidationError struct {
	Fields []*FieldError
}

func (e *ValidationError) Error() string {
	const show = 5
	var b strings.Builder
	b.WriteString("invalid inventory: ")
	for i, f := range e.Fields {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Fields)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

// ErrTooLarge is returned (wrapped) by Decode for a document over
// MaxDocumentBytes.
var ErrTooLarge = errors.New("inventory too large")

// Decode reads one inventory document of at most MaxDocumentBytes, checks
// its JSON types and validates it. Errors name the JSON path of the bad
// field (*FieldError or *ValidationError), or wrap ErrTooLarge.
func Decode(r io.Reader) (*Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("asset: read inventory: %w", err)
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: the limit is %d MiB", ErrTooLarge, MaxDocumentBytes>>20)
	}
	inv, err := Unmarshal(data)
	if err != nil {
		return nil, err
	}
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	return inv, nil
}

// Unmarshal decodes an inventory document without validating its values.
// A type error names the JSON path of the bad field.
//
// The hub decodes every inventory it receives, so the fast decoder of
// go-json-experiment (JSON v2, ~2.5x encoding/json here) goes first, in
// its strict form: exact member names, no unknown members, no duplicates,
// valid UTF-8 — what agents send. Anything else (a newer agent's extra
// fields, other letter case, bad input) goes through encoding/json, which
// accepts what it always accepted and whose errors jsonError turns into
// JSON paths. FuzzDecode checks the two agree.
func Unmarshal(data []byte) (*Inventory, error) {
	var inv Inventory
	if jsonv2.Unmarshal(data, &inv, jsonv2.RejectUnknownMembers(true)) == nil {
		return &inv, nil
	}
	inv = Inventory{}
	if err := json.Unmarshal(data, &inv); err != nil {
		return nil, jsonError(data, err, typeOfInventory)
	}
	return &inv, nil
}

var typeOfInventory = reflect.TypeOf(Inventory{})

// jsonError turns encoding/json's error into a FieldError with a JSON path.
func jsonError(data []byte, err error, t reflect.Type) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset-1) // Offset counts the bad byte
		return &FieldError{Msg: fmt.Sprintf("malformed JSON at line %d, column %d: %v", line, col, se)}
	}
	var doc any
	if json.Unmarshal(data, &doc) == nil {
		if path, want := findTypeError(doc, t, ""); path != "" {
			return &FieldError{Path: path, Msg: "expected " + want}
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{Path: te.Field, Msg: "expected " + te.Type.String() + ", got " + te.Value}
	}
	return &FieldError{Msg: "malformed JSON: " + err.Error()}
}

func lineCol(data []byte, off int64) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// findTypeError walks a generic JSON value alongside the Go type it should
// decode into and returns the path of the first value of the wrong kind.
func findTypeError(v any, t reflect.Type, path string) (string, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return "", ""
	}
	if t == reflect.TypeOf(time.Time{}) {
		s, ok := v.(string)
		if !ok {
			return path, "an RFC 3339 time string"
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return path, "an RFC 3339 time string"
		}
		return "", ""
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return path, "an object"
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			var fv any
			found := false
			for k, x := range m { // encoding/json matches names case-insensitively
				if strings.EqualFold(k, name) {
					fv, found = x, true
					if k == name {
						break
					}
				}
			}
			if !found {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if bad, want := findTypeError(fv, f.Type, p); bad != "" {
				return bad, want
			}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return path, "an array"
		}
		for i, x := range a {
			if bad, want := findTypeError(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); bad != "" {
				return bad, want
			}
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			return path, "a string"
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return path, "true or false"
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return path, "an integer"
		}
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		f, ok := v.(float64)
		if !ok || f < 0 || f != float64(uint64(f)) {
			return path, "a non-negative integer"
		}
	}
	return "", ""
}

// validator collects field errors while walking an inventory.
type validator struct {
	errs []*FieldError
}

const maxReportedErrors = 100

func (v *validator) add(path, format string, args ...any) {
	if len(v.errs) < maxReportedErrors {
		v.errs = append(v.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
}

// at is the JSON path of a list item's field, formatted only when the
// field is bad: Validate runs on every inventory the hub receives.
type at struct {
	list  string // "software"
	i     int
	field string // "version"
	inner string // "addresses" in interfaces[i].addresses[j]
	j     int
}

func (a at) f(field string) at { a.field = field; return a }

func (a at) sub(inner string, j int) at { a.inner, a.j = inner, j; return a }

func (a at) String() string {
	s := a.list + "[" + strconv.Itoa(a.i) + "]"
	if a.inner != "" {
		s += "." + a.inner + "[" + strconv.Itoa(a.j) + "]"
	}
	if a.field != "" {
		s += "." + a.field
	}
	return s
}

func (v *validator) addAt(p at, format string, args ...any) { v.add(p.String(), format, args...) }

func (v *validator) strAt(p at, s string, max int, required bool) {
	if s == "" && !required || len(s) <= max && plainText(s) && s != "" {
		return
	}
	v.str(p.String(), s, max, required)
}

func (v *validator) addrAt(p at, s string, prefixOK bool) {
	if s != "" {
		if prefixOK && strings.Contains(s, "/") {
			if _, err := netip.ParsePrefix(s); err == nil {
				return
			}
		} else if _, err := netip.ParseAddr(s); err == nil {
			return
		}
	}
	v.addr(p.String(), s, prefixOK)
}

// plainText reports whether s is valid UTF-8 without control characters
// other than tab.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			return utf8.ValidString(s[i:]) && plainRunes(s[i:])
		}
	}
	return true
}

func plainRunes(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// str checks a free-text field: valid UTF-8, no NUL or other control
// characters except tab, and at most max bytes.
func (v *validator) str(path, s string, max int, required bool) {
	if s == "" {
		if required {
			v.add(path, "required")
		}
		return
	}
	if len(s) > max {
		v.add(path, "too long (%d bytes, limit %d)", len(s), max)
		return
	}
	if !utf8.ValidString(s) {
		v.add(path, "not valid UTF-8")
		return
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			v.add(path, "contains control character %U", r)
			return
		}
	}
}

func (v *validator) count(name string, n int) bool {
	if max := maxItems[name]; n > max {
		v.add(name, "too many items (%d, limit %d)", n, max)
		return false
	}
	return true
}

func (v *validator) addr(path, s string, prefixOK bool) {
	if s == "" {
		v.add(path, "required")
		return
	}
	if prefixOK && strings.Contains(s, "/") {
		if _, err := netip.ParsePrefix(s); err != nil {
			v.add(path, "not an IP address or CIDR prefix: %q", trunc(s))
		}
		return
	}
	if _, err := netip.ParseAddr(s); err != nil {
		v.add(path, "not an IP address: %q", trunc(s))
	}
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Validate checks every field against its format and the size limits. The
// error is a *ValidationError listing each bad field by JSON path.
func (inv *Inventory) Validate() error {
	v := &validator{}
	if inv.Schema < 0 || inv.Schema > SchemaVersion {
		v.add("schema", "unsupported schema version %d (this hub reads up to %d)", inv.Schema, SchemaVersion)
	}
	switch inv.Source {
	case "", SourceAgent, SourceCSV, SourceOsquery:
	default:
		v.add("source", "unknown source %q", trunc(inv.Source))
	}
	v.str("agent_version", inv.AgentVersion, 64, false)
	if err := CheckHostname(inv.Hostname); err != nil {
		v.add("hostname", "%v", err)
	}
	if inv.FQDN != "" {
		if err := CheckHostname(inv.FQDN); err != nil {
			v.add("fqdn", "%v", err)
		}
	}
	v.str("domain", inv.Domain, maxHostname, false)
	switch inv.DomainKind {
	case "", "ad", "workgroup", "dns":
	default:
		v.add("domain_kind", "must be ad, workgroup or dns")
	}
	switch inv.Role {
	case "", RoleServer, RoleWorkstation:
	default:
		v.add("role", "must be server or workstation")
	}
	v.str("machine_id", inv.MachineID, 128, false)

	v.str("os.family", inv.OS.Family, 32, false)
	v.str("os.name", inv.OS.Name, maxName, false)
	v.str("os.version", inv.OS.Version, maxVersion, false)
	v.str("os.build", inv.OS.Build, maxVersion, false)
	v.str("os.kernel", inv.OS.Kernel, maxVersion, false)
	v.str("os.arch", inv.OS.Arch, 32, false)

	h := inv.Hardware
	v.str("hardware.cpu_model", h.CPUModel, maxName, false)
	v.str("hardware.vendor", h.Vendor, maxName, false)
	v.str("hardware.model", h.Model, maxName, false)
	v.str("hardware.serial", h.Serial, maxName, false)
	if h.CPUCores < 0 || h.CPUCores > 1<<16 {
		v.add("hardware.cpu_cores", "out of range")
	}
	if h.CPUThreads < 0 || h.CPUThreads > 1<<16 {
		v.add("hardware.cpu_threads", "out of range")
	}

	if v.count("disks", len(inv.Disks)) {
		for i, d := range inv.Disks {
			p := at{list: "disks", i: i}
			v.strAt(p.f("mount"), d.Mount, maxPath, true)
			v.strAt(p.f("device"), d.Device, maxPath, false)
			v.strAt(p.f("fs_type"), d.FSType, 64, false)
		}
	}
	if v.count("interfaces", len(inv.Interfaces)) {
		for i, n := range inv.Interfaces {
			p := at{list: "interfaces", i: i}
			v.strAt(p.f("name"), n.Name, maxName, true)
			if n.MAC != "" {
				if _, err := net.ParseMAC(n.MAC); err != nil {
					v.addAt(p.f("mac"), "not a MAC address: %q", trunc(n.MAC))
				}
			}
			if len(n.Addresses) > maxItems["addresses"] {
				v.addAt(p.f("addresses"), "too many items (%d, limit %d)", len(n.Addresses), maxItems["addresses"])
				continue
			}
			for j, a := range n.Addresses {
				v.addrAt(p.sub("addresses", j), a, true)
			}
		}
	}
	if v.count("dns_servers", len(inv.DNSServers)) {
		for i, a := range inv.DNSServers {
			v.addrAt(at{list: "dns_servers", i: i}, a, false)
		}
	}
	if v.count("gateways", len(inv.Gateways)) {
		for i, a := range inv.Gateways {
			v.addrAt(at{list: "gateways", i: i}, a, false)
		}
	}
	if v.count("listening", len(inv.Listening)) {
		for i, l := range inv.Listening {
			p := at{list: "listening", i: i}
			if l.Proto != "tcp" && l.Proto != "udp" {
				v.addAt(p.f("proto"), "must be tcp or udp")
			}
			v.addrAt(p.f("address"), l.Address, false)
			if l.Port < 0 || l.Port > 65535 {
				v.addAt(p.f("port"), "out of range 0-65535")
			}
			v.strAt(p.f("process"), l.Process, maxName, false)
			if l.PID < 0 {
				v.addAt(p.f("pid"), "negative")
			}
		}
	}
	if v.count("processes", len(inv.Processes)) {
		for i, pr := range inv.Processes {
			p := at{list: "processes", i: i}
			if pr.PID < 0 {
				v.addAt(p.f("pid"), "negative")
			}
			v.strAt(p.f("name"), pr.Name, maxName, false)
			v.strAt(p.f("path"), pr.Path, maxPath, false)
			v.strAt(p.f("user"), pr.User, maxName, false)
			if pr.SHA256 != "" && !IsSHA256(pr.SHA256) {
				v.addAt(p.f("sha256"), "not 64 lowercase hex digits")
			}
		}
	}
	if v.count("accounts", len(inv.Accounts)) {
		for i, a := range inv.Accounts {
			p := at{list: "accounts", i: i}
			v.strAt(p.f("name"), a.Name, maxName, true)
			v.strAt(p.f("uid"), a.UID, 256, false)
		}
	}
	if v.count("logged_on", len(inv.LoggedOn)) {
		for i, s := range inv.LoggedOn {
			p := at{list: "logged_on", i: i}
			v.strAt(p.f("user"), s.User, maxName, true)
			v.strAt(p.f("terminal"), s.Terminal, maxName, false)
			v.strAt(p.f("from"), s.From, maxName, false)
		}
	}
	if v.count("software", len(inv.Software)) {
		for i, s := range inv.Software {
			p := at{list: "software", i: i}
			v.strAt(p.f("name"), s.Name, maxName, true)
			v.strAt(p.f("version"), s.Version, maxVersion, false)
			v.strAt(p.f("vendor"), s.Vendor, maxName, false)
			v.strAt(p.f("source"), s.Source, 32, true)
			v.strAt(p.f("arch"), s.Arch, 32, false)
		}
	}
	if v.count("hotfixes", len(inv.Hotfixes)) {
		for i, h := range inv.Hotfixes {
			p := at{list: "hotfixes", i: i}
			v.strAt(p.f("id"), h.ID, 64, true)
			v.strAt(p.f("description"), h.Description, maxName, false)
		}
	}
	if v.count("controls", len(inv.Controls)) {
		for i, c := range inv.Controls {
			p := at{list: "controls", i: i}
			if !slices.Contains(controlKinds, c.Kind) {
				v.addAt(p.f("kind"), "must be one of %s", strings.Join(controlKinds, ", "))
			}
			v.strAt(p.f("product"), c.Product, maxName, true)
			v.strAt(p.f("version"), c.Version, maxVersion, false)
			v.strAt(p.f("detail"), c.Detail, maxDetail, false)
			if len(c.Profiles) > maxProfiles {
				v.addAt(p.f("profiles"), "at most %d profiles", maxProfiles)
			}
			for j, pr := range c.Profiles {
				v.strAt(p.sub("profiles", j).f("name"), pr.Name, 64, true)
			}
		}
	}
	if v.count("warnings", len(inv.Warnings)) {
		for i, w := range inv.Warnings {
			v.strAt(at{list: "warnings", i: i}, w, maxDetail, false)
		}
	}
	if len(v.errs) > 0 {
		return &ValidationError{Fields: v.errs}
	}
	return nil
}

// CheckHostname reports whether s is a usable host name: 1 to 253 bytes of
// letters, digits, '-', '_' and '.', as DNS and NetBIOS allow.
func CheckHostname(s string) error {
	if s == "" {
		return errors.New("required")
	}
	if len(s) > maxHostname {
		return fmt.Errorf("too long (%d bytes, limit %d)", len(s), maxHostname)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			continue
		}
		return fmt.Errorf("invalid character %q at byte %d", rune(c), i)
	}
	return nil
}

// IsSHA256 reports whether s is 64 lowercase hex digits.
func IsSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Addresses returns every interface address without its prefix length, in
// order, for matching a host by address.
func (inv *Inventory) Addresses() []string {
	var out []string
	for _, n := range inv.Interfaces {
		for _, a := range n.Addresses {
			a, _, _ = strings.Cut(a, "/")
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Control returns the first control of kind that is enabled, or else the
// first of that kind, or nil.
func (inv *Inventory) Control(kind string) *Control {
	var first *Control
	for i := range inv.Controls {
		c := &inv.Controls[i]
		if c.Kind != kind {
			continue
		}
		if c.Enabled {
			return c
		}
		if first == nil {
			first = c
		}
	}
	return first
}

// Normalize puts the inventory in canonical form: times in UTC, lists
// sorted by their key with duplicates dropped, nil lists for the fixed
// fields made empty so they marshal as [].
func (inv *Inventory) Normalize() {
	if inv.Schema == 0 {
		inv.Schema = SchemaVersion
	}
	inv.CollectedAt = inv.CollectedAt.UTC()
	utc(&inv.BootTime)
	utc(&inv.LastPatchAt)
	for i := range inv.Interfaces {
		inv.Interfaces[i].MAC = strings.ToLower(inv.Interfaces[i].MAC)
		inv.Interfaces[i].Addresses = sortedSet(inv.Interfaces[i].Addresses)
		if inv.Interfaces[i].Addresses == nil {
			inv.Interfaces[i].Addresses = []string{}
		}
	}
	for i := range inv.Accounts {
		utc(&inv.Accounts[i].LastLogon)
	}
	for i := range inv.LoggedOn {
		utc(&inv.LoggedOn[i].Since)
	}
	for i := range inv.Software {
		utc(&inv.Software[i].InstalledAt)
	}
	for i := range inv.Hotfixes {
		utc(&inv.Hotfixes[i].InstalledAt)
	}
	for i := range inv.Controls {
		utc(&inv.Controls[i].UpdatedAt)
	}
	inv.DNSServers = sortedSet(inv.DNSServers)
	inv.Gateways = sortedSet(inv.Gateways)
	for _, s := range sections {
		s.normalize(inv)
	}
	if inv.Interfaces == nil {
		inv.Interfaces = []Interface{}
	}
	if inv.Listening == nil {
		inv.Listening = []Listener{}
	}
	if inv.Accounts == nil {
		inv.Accounts = []Account{}
	}
	if inv.Software == nil {
		inv.Software = []Software{}
	}
	if inv.Hotfixes == nil {
		inv.Hotfixes = []Hotfix{}
	}
	if inv.Controls == nil {
		inv.Controls = []Control{}
	}
}

func utc(t **time.Time) {
	if *t != nil {
		u := (*t).UTC()
		*t = &u
	}
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return s
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// Hash is the SHA-256 of the canonical JSON of the inventory, hex encoded.
// The agent and the hub compare it to check that a delta applied to the
// same base gave the same result. Call Normalize first.
func (inv *Inventory) Hash() string {
	b, err := json.Marshal(inv)
	if err != nil { // cannot happen: the type has no unmarshalable fields
		panic("asset: marshal inventory: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Clone returns a deep copy.
func (inv *Inventory) Clone() *Inventory {
	b, _ := json.Marshal(inv)
	var c Inventory
	_ = json.Unmarshal(b, &c)
	return &c
}

// itoa is strconv.Itoa, short for keys.
func itoa(n int) string { return strconv.Itoa(n) }
