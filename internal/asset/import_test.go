package asset

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"vigil/internal/datafile"
)

func TestParseCSVTemplate(t *testing.T) {
	f, err := os.Open("testdata/inventory-template.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hosts, err := ParseCSV(f, "inventory-template.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 3 {
		t.Fatalf("%d hosts", len(hosts))
	}
	ws := hosts[0]
	if ws.Hostname != "ws-101" || ws.Role != RoleWorkstation || ws.OS.Family != "windows" || ws.Source != SourceCSV {
		t.Errorf("ws-101: %+v", ws)
	}
	if ws.Interfaces[0].MAC != "00:1a:2b:3c:4d:01" || ws.Interfaces[0].Addresses[0] != "10.7.1.101/24" {
		t.Errorf("interfaces: %+v", ws.Interfaces)
	}
	if ws.Hardware.MemoryBytes != 16<<30 || ws.Hardware.CPUCores != 6 {
		t.Errorf("hardware: %+v", ws.Hardware)
	}
	if len(ws.Software) != 3 || len(ws.Hotfixes) != 2 || len(ws.Accounts) != 2 || !ws.Accounts[0].Admin {
		t.Errorf("lists: %d software, %d hotfixes, %+v", len(ws.Software), len(ws.Hotfixes), ws.Accounts)
	}
	av := ws.Control(ControlAntivirus)
	// 2024-11-26 is midnight in Hanoi: 17:00 UTC the day before.
	if av == nil || !av.Enabled || av.UpdatedAt.Format(time.RFC3339) != "2024-11-25T17:00:00Z" {
		t.Errorf("antivirus: %+v", av)
	}
	if de := ws.Control(ControlDiskEncryption); de == nil || de.Enabled || de.Product != "BitLocker" {
		t.Errorf("disk encryption: %+v", de)
	}
	db := hosts[1]
	if db.Interfaces[0].Addresses[0] != "10.7.0.20" || len(db.Interfaces[0].Addresses) != 2 {
		t.Errorf("srv-db01 addresses %+v", db.Interfaces)
	}
	if av := db.Control(ControlAntivirus); av == nil || av.UpdatedAt.Format("2006-01-02") != "2024-11-25" {
		t.Errorf("day-first date: %+v", av)
	}
	if edr := db.Control(ControlEDR); edr == nil || edr.Product != "Wazuh agent" {
		t.Errorf("edr: %+v", edr)
	}
	nvr := hosts[2]
	if nvr.Hostname != "cam-nvr-03" || len(nvr.Controls) != 0 {
		t.Errorf("minimal row: %+v", nvr)
	}
}

func TestParseCSVErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "h.csv:1: empty file; the first line must name the columns (hostname, fqdn"},
		{"hostname,colour\nws-1,blue\n", `h.csv:1:2: unknown column "colour" (the columns are hostname, fqdn`},
		{"os_name\nDebian\n", `h.csv:1: missing required column "hostname"`},
		{"hostname\n", "h.csv:2: no hosts"},
		{"hostname,antivirus_enabled\nws-1,yes\nws-2,maybe\n", `h.csv:3:2: field "antivirus_enabled": must be yes or no`},
		{"hostname,addresses\nws-1,10.0.0.1\nws-2,10.0.0.300\n", `h.csv:3:2: field "addresses": not an IP address: "10.0.0.300"`},
		{"hostname,last_patch\nws-1,last tuesday\n", `h.csv:2:2: field "last_patch": not a date`},
		{"hostname\nws 1\n", `h.csv:2:1: field "hostname": invalid character ' '`},
		{"hostname\nws-1\nWS-1\n", `h.csv:3:1: field "hostname": host "WS-1" already on line 2`},
		{"hostname,mac\nws-1,00:11:22\n", `h.csv:2:2: field "mac": not a MAC address`},
		{"hostname,role\nws-1,router\n", `h.csv:2:2: field "role": must be server or workstation`},
		{"hostname,os_name\nws-1,\"Debian\n", `h.csv:2: extraneous or missing " in quoted-field`},
		{"hostname\nws-1,extra\n", "h.csv:2:2: 2 fields, but the header has 1"},
		{"hostname,software\nws-1,=1.0\n", `h.csv:2:2: field "software": item 1 "=1.0" has no name`},
		{"hostname,hotfixes\nws-1,KB1 2024-13-45\n", `h.csv:2:2: field "hotfixes": item 1: not a date`},
		{"hostname,os_version\nws-1," + strings.Repeat("9", 300) + "\n", `h.csv:2: field "os.version": too long`},
	}
	for _, tt := range tests {
		hosts, err := ParseCSV(strings.NewReader(tt.in), "h.csv")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.in, err, tt.want)
		}
		if hosts != nil {
			t.Errorf("%q: returned hosts with an error (import must be all or nothing)", tt.in)
		}
		var ie *datafile.Error
		if err != nil && !errors.As(err, &ie) {
			t.Errorf("%q: error is %T, want *datafile.Error", tt.in, err)
		}
	}
}

func TestParseCSVSemicolonAndBOM(t *testing.T) {
	in := "\xef\xbb\xbfhostname;os_name;firewall_enabled\nws-1;Windows 11;có\n"
	hosts, err := ParseCSV(strings.NewReader(in), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if hosts[0].OS.Name != "Windows 11" || !hosts[0].Control(ControlFirewall).Enabled {
		t.Fatalf("%+v", hosts[0])
	}
}

func TestParseOsqueryLinux(t *testing.T) {
	f, _ := os.Open("testdata/osquery/linux-host.json")
	defer f.Close()
	hosts, err := ParseOsquery(f, "linux-host.json")
	if err != nil {
		t.Fatal(err)
	}
	h := hosts[0]
	if h.Hostname != "srv-web02" || h.FQDN != "srv-web02.unit7.example.org" || h.OS.Name != "Rocky Linux" || h.OS.Family != "linux" || h.OS.Kernel == "" {
		t.Errorf("identity: %+v %+v", h, h.OS)
	}
	if len(h.Interfaces) != 1 || h.Interfaces[0].MAC != "a0:36:9f:00:00:01" || strings.Join(h.Interfaces[0].Addresses, " ") != "10.7.0.12/24 fe80::a236:9fff:fe00:1/64" {
		t.Errorf("interfaces: %+v", h.Interfaces)
	}
	if len(h.Listening) != 3 || h.Gateways[0] != "10.7.0.1" || h.DNSServers[0] != "10.7.0.10" {
		t.Errorf("network: %+v %v %v", h.Listening, h.Gateways, h.DNSServers)
	}
	var nginx Software
	for _, s := range h.Software {
		if s.Name == "nginx" {
			nginx = s
		}
	}
	if nginx.Version != "2:1.20.1-14.el9_2.1" || nginx.Source != SoftwareRPM || nginx.InstalledAt == nil {
		t.Errorf("nginx: %+v", nginx)
	}
	admins := map[string]bool{}
	for _, a := range h.Accounts {
		admins[a.Name] = a.Admin
		if a.Name == "nginx" && (a.Enabled || !a.System) {
			t.Errorf("nginx account: %+v", a)
		}
	}
	if !admins["root"] || !admins["deploy"] || admins["nginx"] {
		t.Errorf("admins: %v", admins)
	}
	if len(h.Disks) != 1 || h.Disks[0].SizeBytes != 4096*13100800 {
		t.Errorf("disks: %+v", h.Disks)
	}
}

func TestParseOsqueryResultsLog(t *testing.T) {
	f, _ := os.Open("testdata/osquery/windows-results.log")
	defer f.Close()
	hosts, err := ParseInventoryFile(f, "windows-results.log")
	if err != nil {
		t.Fatal(err)
	}
	h := hosts[0]
	if h.Hostname != "WS-207" || h.OS.Family != "windows" || h.Role != RoleWorkstation || h.CollectedAt.Unix() != 1732694400 {
		t.Errorf("identity: %+v", h)
	}
	if len(h.Hotfixes) != 2 || h.LastPatchAt.Format("2006-01-02") != "2024-11-13" {
		t.Errorf("hotfixes: %+v", h.Hotfixes)
	}
	if av := h.Control(ControlAntivirus); av == nil || !av.Enabled || av.UpdatedAt == nil {
		t.Errorf("antivirus: %+v", av)
	}
	if au := h.Control(ControlAutoUpdate); au == nil || au.Enabled {
		t.Errorf("auto update: %+v", au)
	}
	if de := h.Control(ControlDiskEncryption); de == nil || !de.Enabled || *h.Disks[0].Encrypted != true {
		t.Errorf("bitlocker: %+v", de)
	}
	admin := map[string]bool{}
	for _, a := range h.Accounts {
		admin[a.Name] = a.Admin
	}
	if !admin["Administrator"] || admin["operator2"] {
		t.Errorf("admins %v", admin)
	}
}

func TestParseOsqueryErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"system_info": [{"hostname": "a"}]`, "q.json:1: malformed JSON"},
		{`{"system_info": {"hostname": "a"}}`, `q.json:1: field "system_info": expected the osqueryi --json output`},
		{`{"foo": []}`, "q.json:1: object has none of the query pack's results"},
		{`{"os_version": [{"name": "Debian"}]}`, "q.json: host 1: system_info: no hostname"},
		{"{\"name\":\"pack_vigil_os_version\",\"hostIdentifier\":\"h\",\"snapshot\":[]}\n{\"name\":\"x\",\"snapshot\":[]}\n", `q.json:2: field "hostIdentifier": required`},
		{`{"system_info": [{"hostname": "bad host"}]}`, `q.json: host "bad host": invalid inventory: hostname: invalid character`},
		{``, "q.json: no osquery results"},
	}
	for _, tt := range tests {
		hosts, err := ParseOsquery(strings.NewReader(tt.in), "q.json")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.in, err, tt.want)
		}
		if hosts != nil {
			t.Errorf("%q: hosts returned with an error", tt.in)
		}
	}
}

func TestParseInventoryFileSniffs(t *testing.T) {
	b, _ := os.ReadFile("testdata/inventory-template.csv")
	if hosts, err := ParseInventoryFile(strings.NewReader(string(b)), "t.csv"); err != nil || len(hosts) != 3 {
		t.Errorf("csv: %v", err)
	}
	b, _ = os.ReadFile("testdata/osquery/linux-host.json")
	if hosts, err := ParseInventoryFile(strings.NewReader(string(b)), "l.json"); err != nil || hosts[0].Source != SourceOsquery {
		t.Errorf("osquery: %v", err)
	}
	agentDoc := `{"schema":1,"source":"agent","collected_at":"2026-11-28T06:00:00Z","hostname":"vm","os":{"name":"Debian","version":"12","build":"bookworm"},"interfaces":[],"listening":[],"accounts":[],"software":[],"hotfixes":[],"controls":[]}`
	if hosts, err := ParseInventoryFile(strings.NewReader(agentDoc), "a.json"); err != nil || hosts[0].Hostname != "vm" {
		t.Errorf("agent: %v", err)
	}
	if _, err := ParseInventoryFile(strings.NewReader(`{"schema":1,"hostname":"vm","software":[{"name":5}]}`), "a.json"); err == nil || err.Error() != "a.json: software[0].name: expected a string" {
		t.Errorf("agent error: %v", err)
	}
	two := agentDoc + "\n" + strings.Replace(agentDoc, `"vm"`, `"vm2"`, 1) + "\n"
	if hosts, err := ParseInventoryFile(strings.NewReader(two), "a.jsonl"); err != nil || len(hosts) != 2 || hosts[1].Hostname != "vm2" {
		t.Errorf("json lines: %v", err)
	}
	if hosts, err := ParseInventoryFile(strings.NewReader("["+agentDoc+","+agentDoc+"]"), "a.json"); err != nil || len(hosts) != 2 {
		t.Errorf("array: %v", err)
	}
	if _, err := ParseInventoryFile(strings.NewReader(agentDoc+"\n"+`{"hostname":""}`), "a.jsonl"); err == nil || !strings.HasPrefix(err.Error(), "a.jsonl: record 2: invalid inventory: hostname: required") {
		t.Errorf("record error: %v", err)
	}
}

func FuzzParseCSV(f *testing.F) {
	b, _ := os.ReadFile("testdata/inventory-template.csv")
	f.Add(string(b))
	f.Add("hostname;addresses\nws-1;10.0.0.1\n")
	f.Fuzz(func(t *testing.T, in string) {
		hosts, err := ParseCSV(strings.NewReader(in), "f.csv")
		if err != nil {
			if hosts != nil {
				t.Fatal("hosts with error")
			}
			var de *datafile.Error
			if !errors.As(err, &de) || de.File != "f.csv" || !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error does not name the file: %v (%T)", err, err)
			}
			return
		}
		for _, h := range hosts {
			if err := h.Validate(); err != nil {
				t.Fatalf("imported host does not validate: %v", err)
			}
		}
	})
}

func FuzzParseOsquery(f *testing.F) {
	for _, n := range []string{"testdata/osquery/linux-host.json", "testdata/osquery/windows-results.log"} {
		b, _ := os.ReadFile(n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		hosts, err := ParseInventoryFile(strings.NewReader(string(in)), "f.json")
		if err != nil {
			return
		}
		for _, h := range hosts {
			if err := h.Validate(); err != nil {
				t.Fatalf("imported host does not validate: %v", err)
			}
		}
	})
}

func TestParseCSVHeaderAliases(t *testing.T) {
	// Exports of other tools name columns their own way; the template's
	// names match ignoring case, spaces and underscores.
	in := "Computer Name,Operating System,IP Address,MAC Address,OS Version\nws-1,Windows 11,10.0.0.5,00-11-22-33-44-55,23H2\n"
	hosts, err := ParseCSV(strings.NewReader(in), "export.csv")
	if err != nil {
		t.Fatal(err)
	}
	h := hosts[0]
	if h.Hostname != "ws-1" || h.OS.Name != "Windows 11" || h.OS.Version != "23H2" || h.Interfaces[0].Addresses[0] != "10.0.0.5" || h.Interfaces[0].MAC != "00:11:22:33:44:55" {
		t.Errorf("%+v %+v", h, h.Interfaces)
	}
	_, err = ParseCSV(strings.NewReader("host,hostname\nws-1,ws-1\n"), "h.csv")
	if err == nil || !errors.Is(err, datafile.ErrDuplicateColumn) || !strings.HasPrefix(err.Error(), `h.csv:1:2: column "hostname" appears twice (also column 1)`) {
		t.Errorf("alias and name: %v", err)
	}
}

// TestParseCSVQuotedLists: in a semicolon-separated file (what a
// Vietnamese-locale spreadsheet saves) a software list holding ';' works
// quoted, as docs/inventory-import.md says, and unquoted gives an error
// naming the line and column and saying to quote it. Host names keep the
// case they are written in.
func TestParseCSVQuotedLists(t *testing.T) {
	header := "hostname;os_name;software;admins\n"
	invs, err := ParseCSV(strings.NewReader(header+`PC-KeToan-01;Windows 10 Pro;"Mozilla Firefox=132.0.2; 7-Zip=24.08";"Administrator; it-support"`+"\n"), "hosts.csv")
	if err != nil {
		t.Fatal(err)
	}
	h := invs[0]
	if h.Hostname != "PC-KeToan-01" || len(h.Software) != 2 || len(h.Accounts) != 2 {
		t.Errorf("quoted lists: host %q, software %v, admins %v", h.Hostname, h.Software, h.Accounts)
	}
	_, err = ParseCSV(strings.NewReader(header+"PC-KeToan-01;Windows 10 Pro;Mozilla Firefox=132.0.2; 7-Zip=24.08;Administrator\n"), "hosts.csv")
	want := `hosts.csv:2:5: 5 fields, but the header has 4: a value holding the separator (a list in software, hotfixes or admins) must be in double quotes`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("unquoted list:\n got %v\nwant %s", err, want)
	}
	var de *datafile.Error
	if !errors.As(err, &de) || de.Line != 2 || de.Column != 5 || !errors.Is(err, datafile.ErrTooManyFields) {
		t.Errorf("unquoted list: error %#v is not positioned", err)
	}
}
