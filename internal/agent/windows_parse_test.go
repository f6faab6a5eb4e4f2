package agent

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
)

func loadWindowsFixture(t *testing.T, name string) *asset.Inventory {
	t.Helper()
	data, err := os.ReadFile("testdata/windows/" + name)
	if err != nil {
		t.Fatal(err)
	}
	inv := &asset.Inventory{Hostname: "placeholder", CollectedAt: time.Date(2024, 11, 27, 9, 0, 0, 0, time.UTC)}
	if err := applyWindowsReport(data, inv); err != nil {
		t.Fatal(err)
	}
	inv.Normalize()
	if err := inv.Validate(); err != nil {
		t.Fatalf("fixture gives an invalid inventory: %v", err)
	}
	return inv
}

func control(inv *asset.Inventory, kind, product string) *asset.Control {
	for i := range inv.Controls {
		if inv.Controls[i].Kind == kind && inv.Controls[i].Product == product {
			return &inv.Controls[i]
		}
	}
	return nil
}

func TestWindowsWorkstation(t *testing.T) {
	inv := loadWindowsFixture(t, "workstation-ps51.json")
	if inv.Hostname != "ws-042" || inv.FQDN != "ws-042.unit7.example.org" || inv.DomainKind != "ad" || inv.Role != asset.RoleWorkstation {
		t.Errorf("identity: %s %s %s %s", inv.Hostname, inv.FQDN, inv.DomainKind, inv.Role)
	}
	if inv.OS.Name != "Microsoft Windows 11 Enterprise" || inv.OS.Version != "10.0.22631" || inv.OS.Build != "22631.4460" {
		t.Errorf("os: %+v", inv.OS)
	}
	if inv.BootTime == nil || !inv.BootTime.Equal(time.UnixMilli(1732683600000)) {
		t.Errorf("boot time %v", inv.BootTime)
	}
	if inv.Hardware.MemoryBytes != 17016107008 || inv.Hardware.CPUCores != 10 || inv.Hardware.CPUThreads != 12 || inv.Hardware.Serial != "PF0TEST1" {
		t.Errorf("hardware: %+v", inv.Hardware)
	}
	if strings.Join(inv.DNSServers, ",") != "10.7.0.10,10.7.0.11" || strings.Join(inv.Gateways, ",") != "10.7.1.1,fe80::1" {
		t.Errorf("dns %v gateways %v", inv.DNSServers, inv.Gateways)
	}
	// Hotfixes: M/d/yyyy, FILETIME hex, empty date; the "File 1" row dropped.
	want := map[string]string{"KB5031274": "2023-10-11", "KB5046633": "2024-11-13", "KB925902": "2017-04-11", "KB5044035": ""}
	if len(inv.Hotfixes) != len(want) {
		t.Fatalf("hotfixes: %+v", inv.Hotfixes)
	}
	for _, h := range inv.Hotfixes {
		got := ""
		if h.InstalledAt != nil {
			got = h.InstalledAt.Format("2006-01-02")
		}
		if got != want[h.ID] {
			t.Errorf("%s installed %q, want %q", h.ID, got, want[h.ID])
		}
	}
	if inv.LastPatchAt == nil || inv.LastPatchAt.Format(time.RFC3339) != "2024-11-14T00:00:00Z" {
		t.Errorf("last patch %v (Windows Update's last install is the latest)", inv.LastPatchAt)
	}
	def := control(inv, asset.ControlAntivirus, "Microsoft Defender Antivirus")
	if def == nil || !def.Enabled || def.RealTime == nil || !*def.RealTime || def.UpdatedAt == nil || !def.UpdatedAt.Equal(time.UnixMilli(1732694400000)) {
		t.Errorf("defender: %+v", def)
	}
	if control(inv, asset.ControlAntivirus, "Windows Defender") != nil {
		t.Error("Security Center's Defender entry duplicates Get-MpComputerStatus")
	}
	other := control(inv, asset.ControlAntivirus, "Contoso Endpoint Protection")
	if other == nil || !other.Enabled || !strings.Contains(other.Detail, "out of date") || other.UpdatedAt.Format("2006-01-02") != "2024-11-25" {
		t.Errorf("third-party av: %+v", other)
	}
	fw := control(inv, asset.ControlFirewall, "Windows Defender Firewall")
	if fw == nil || fw.Enabled || fw.Detail != "profiles off: Public" {
		t.Errorf("firewall: %+v", fw)
	}
	// Each profile's state travels to the hub, which says where it is off.
	if want := []asset.ControlProfile{{Name: "Domain", Enabled: true}, {Name: "Private", Enabled: true}, {Name: "Public", Enabled: false}}; fw == nil || !slices.Equal(fw.Profiles, want) {
		t.Errorf("firewall profiles: %+v", fw)
	}
	bl := control(inv, asset.ControlDiskEncryption, "BitLocker")
	if bl == nil || !bl.Enabled || bl.Detail != "protected: C:; not protected: D:" {
		t.Errorf("bitlocker: %+v", bl)
	}
	wu := control(inv, asset.ControlAutoUpdate, "Windows Update")
	if wu == nil || !wu.Enabled {
		t.Errorf("windows update: %+v", wu)
	}
	accts := map[string]asset.Account{}
	for _, a := range inv.Accounts {
		accts[a.Name] = a
	}
	if a := accts["localadmin"]; !a.Admin || !a.Enabled || a.LastLogon == nil {
		t.Errorf("localadmin: %+v", a)
	}
	if a := accts["kiosk"]; a.Admin {
		t.Errorf("kiosk is not an admin")
	}
	if a := accts["Administrator"]; !a.Admin || a.Enabled {
		t.Errorf("Administrator: %+v", a)
	}
	if a := accts["DefaultAccount"]; !a.System {
		t.Errorf("DefaultAccount: %+v", a)
	}
	if a, ok := accts[`UNIT7\Domain Admins`]; !ok || !a.Admin {
		t.Errorf("domain group in Administrators missing: %+v", inv.Accounts)
	}
	if len(inv.LoggedOn) != 2 || inv.LoggedOn[0].User != "operator1" || inv.LoggedOn[0].Terminal != "console" || inv.LoggedOn[1].Terminal != "" {
		t.Errorf("logged on: %+v", inv.LoggedOn)
	}
}

func TestWindowsServer(t *testing.T) {
	inv := loadWindowsFixture(t, "server-ps7.json")
	if inv.Role != asset.RoleServer || inv.DomainKind != "workgroup" || inv.Domain != "WORKGROUP" || inv.FQDN != "" || !inv.Hardware.Virtual {
		t.Errorf("identity: %+v", inv)
	}
	if inv.Hardware.CPUCores != 4 || inv.OS.Build != "20348.2849" {
		t.Errorf("cpu %d build %s", inv.Hardware.CPUCores, inv.OS.Build)
	}
	if inv.BootTime.Format(time.RFC3339) != "2024-11-19T20:12:45Z" {
		t.Errorf("boot %v", inv.BootTime)
	}
	hf := map[string]string{}
	for _, h := range inv.Hotfixes {
		hf[h.ID] = h.InstalledAt.Format("2006-01-02")
	}
	if hf["KB5046616"] != "2024-11-13" || hf["KB5012170"] != "2022-08-15" {
		t.Errorf("hotfixes %v", hf)
	}
	def := control(inv, asset.ControlAntivirus, "Microsoft Defender Antivirus")
	if def == nil || def.Enabled || !strings.Contains(def.Detail, "Passive Mode") || def.UpdatedAt.Format(time.RFC3339) != "2024-11-01T03:00:00Z" {
		t.Errorf("defender in passive mode: %+v", def)
	}
	if fw := control(inv, asset.ControlFirewall, "Windows Defender Firewall"); fw == nil || !fw.Enabled {
		t.Errorf("firewall: %+v", fw)
	}
	wu := control(inv, asset.ControlAutoUpdate, "Windows Update")
	if wu == nil || wu.Enabled || wu.Detail != "policy NoAutoUpdate=1; wuauserv service disabled" {
		t.Errorf("windows update: %+v", wu)
	}
	if bl := control(inv, asset.ControlDiskEncryption, "BitLocker"); bl == nil || bl.Enabled {
		t.Errorf("bitlocker: %+v", bl)
	}
	data, _ := os.ReadFile("testdata/windows/server-ps7.json")
	var w winReport
	json.Unmarshal(data, &w)
	ls := windowsListening(&w, map[int]string{4: "System"})
	if len(ls) != 2 || ls[1].Address != "0.0.0.0" || ls[1].Port != 5985 || ls[0].Process != "System" {
		t.Errorf("listening: %+v", ls)
	}
	enabled, running := windowsServices(&w)
	ctl := matchAgents(running, enabled)
	if len(ctl) != 1 || ctl[0].Product != "Wazuh agent" || !ctl[0].Enabled {
		t.Errorf("agents: %+v", ctl)
	}
}

func TestWindowsReportErrors(t *testing.T) {
	inv := &asset.Inventory{}
	if err := applyWindowsReport([]byte(`{"os":`), inv); err == nil {
		t.Error("truncated JSON accepted")
	}
	if err := applyWindowsReport([]byte(`{"mp":{"AMServiceEnabled":"maybe"}}`), inv); err == nil || !strings.Contains(err.Error(), "not a boolean") {
		t.Errorf("bad boolean: %v", err)
	}
	if err := applyWindowsReport([]byte(`{}`), inv); err != nil {
		t.Errorf("empty report: %v", err)
	}
}

func TestParseWindowsTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/Date(1732694400000)/", "2024-11-27T08:00:00Z"},
		{"/Date(1732694400000+0700)/", "2024-11-27T08:00:00Z"},
		{"2024-11-27T15:00:00+07:00", "2024-11-27T08:00:00Z"},
		{"2024-11-27T08:00:00.1234567", "2024-11-27T08:00:00Z"},
		{"20241127083000.000000+420", "2024-11-27T01:30:00Z"},
		{"11/27/2024", "2024-11-27T00:00:00Z"},
		{"3/5/2024", "2024-03-05T00:00:00Z"},
		{"20241127", "2024-11-27T00:00:00Z"},
		{"Wed, 27 Nov 2024 08:00:00 GMT", "2024-11-27T08:00:00Z"},
		{"", ""}, {"garbage", ""}, {"/Date(-62135596800000)/", ""}, {"0000000000000000", ""},
	}
	for _, tt := range tests {
		got, ok := parseWindowsTime(tt.in)
		s := ""
		if ok {
			s = got.Truncate(time.Second).Format(time.RFC3339)
		}
		if s != tt.want {
			t.Errorf("parseWindowsTime(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestSecurityCenterState(t *testing.T) {
	tests := []struct {
		state       int64
		on, current bool
	}{
		{397568, true, true}, {393472, false, true}, {397584, true, false}, {262144, false, true}, {266240, true, true}, {393488, false, false},
	}
	for _, tt := range tests {
		on, cur := securityCenterState(tt.state)
		if on != tt.on || cur != tt.current {
			t.Errorf("0x%06X: on=%v current=%v, want %v %v", tt.state, on, cur, tt.on, tt.current)
		}
	}
}

func TestUninstallEntries(t *testing.T) {
	data, err := os.ReadFile("testdata/windows/uninstall.json")
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Source string
		Key    string
		Values map[string]any
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if s, ok := uninstallEntry(e.Values, e.Source); ok {
			d := ""
			if s.InstalledAt != nil {
				d = s.InstalledAt.Format("2006-01-02")
			}
			got = append(got, s.Source+"|"+s.Name+"|"+s.Version+"|"+s.Vendor+"|"+d)
		}
	}
	want := []string{
		"registry|Mozilla Firefox (x64 en-US)|132.0.2|Mozilla|2024-11-15",
		"registry|7-Zip 24.08 (x64)|24.08|Igor Pavlov|",
		"registry32|Adobe Acrobat Reader DC|24.004.20220|Adobe Systems Incorporated|2024-10-02",
		"registry_user|Zoom Workplace|6.2.11 (53440)|Zoom Video Communications, Inc.|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzWindowsReport(f *testing.F) {
	for _, n := range []string{"workstation-ps51.json", "server-ps7.json"} {
		b, _ := os.ReadFile("testdata/windows/" + n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv := &asset.Inventory{Hostname: "h"}
		_ = applyWindowsReport(data, inv)
	})
}

func FuzzParseWindowsTime(f *testing.F) {
	for _, s := range []string{"/Date(1732694400000)/", "20241127083000.000000+420", "11/27/2024", "01d2b2a6f3c7e800"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tm, ok := parseWindowsTime(s); ok && (tm.Year() < 1990 || tm.Year() > 2200) {
			t.Fatalf("%q -> %v out of range", s, tm)
		}
	})
}

// powershell -Command - reads the script a line at a time: each line must
// be a whole statement, and every section the parser reads must be set.
func TestWindowsScriptShape(t *testing.T) {
	for i, line := range strings.Split(windowsScript, "\n") {
		if strings.Count(line, "{") != strings.Count(line, "}") || strings.Count(line, "(") != strings.Count(line, ")") {
			t.Errorf("line %d is not a whole statement: %s", i+1, line)
		}
	}
	for _, key := range []string{"os", "ubr", "machine_guid", "cs", "bios", "cpu", "disks", "netcfg", "qfe", "mp", "av", "fwproducts", "fw", "bitlocker", "wu", "users", "admins", "tcp", "udp", "services", "quser"} {
		if !strings.Contains(windowsScript, "$o."+key+" = ") {
			t.Errorf("script does not set %s", key)
		}
	}
}
