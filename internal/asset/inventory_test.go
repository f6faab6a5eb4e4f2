package asset

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func ptime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func sampleInventory() *Inventory {
	return &Inventory{
		Source:      SourceAgent,
		CollectedAt: time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC),
		Hostname:    "ws-042",
		FQDN:        "ws-042.unit7.example.org",
		OS:          OS{Family: "linux", Name: "Debian GNU/Linux", Version: "12", Build: "bookworm", Kernel: "6.1.0-18-amd64", Arch: "amd64"},
		Interfaces:  []Interface{{Name: "eth0", MAC: "52:54:00:12:34:56", Addresses: []string{"192.0.2.10/24", "2001:db8::10/64"}}},
		Listening:   []Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 22, Process: "sshd", PID: 612}},
		Accounts:    []Account{{Name: "root", UID: "0", Admin: true, Enabled: true}, {Name: "operator1", UID: "1000", Enabled: true}},
		Software: []Software{
			{Name: "openssl", Version: "3.0.11-1~deb12u2", Vendor: "Debian", Source: SoftwareDpkg, Arch: "amd64"},
			{Name: "bash", Version: "5.2.15-2+b2", Vendor: "Debian", Source: SoftwareDpkg, Arch: "amd64"},
		},
		Hotfixes: []Hotfix{},
		Controls: []Control{{Kind: ControlAntivirus, Product: "ClamAV", Enabled: true, UpdatedAt: ptime("2026-11-27T08:00:00Z")}},
	}
}

func TestValidateOK(t *testing.T) {
	if err := sampleInventory().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidatePaths(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Inventory)
		want   string
	}{
		{"no hostname", func(i *Inventory) { i.Hostname = "" }, "hostname: required"},
		{"bad hostname", func(i *Inventory) { i.Hostname = "ws 42" }, "hostname: invalid character"},
		{"long version", func(i *Inventory) { i.Software[1].Version = strings.Repeat("9", 300) }, "software[1].version: too long"},
		{"no package name", func(i *Inventory) { i.Software[0].Name = "" }, "software[0].name: required"},
		{"bad mac", func(i *Inventory) { i.Interfaces[0].MAC = "zz" }, "interfaces[0].mac: not a MAC address"},
		{"bad address", func(i *Inventory) { i.Interfaces[0].Addresses[1] = "10.0.0.300/8" }, "interfaces[0].addresses[1]: not an IP address"},
		{"bad proto", func(i *Inventory) { i.Listening[0].Proto = "sctp" }, "listening[0].proto: must be tcp or udp"},
		{"bad port", func(i *Inventory) { i.Listening[0].Port = 70000 }, "listening[0].port: out of range"},
		{"bad kind", func(i *Inventory) { i.Controls[0].Kind = "magic" }, "controls[0].kind: must be one of"},
		{"control char", func(i *Inventory) { i.Accounts[1].Name = "a\x00b" }, "accounts[1].name: contains control character"},
		{"bad sha", func(i *Inventory) { i.Processes = []Process{{PID: 1, SHA256: "ABC"}} }, "processes[0].sha256: not 64"},
		{"too many", func(i *Inventory) { i.Controls = make([]Control, 300) }, "controls: too many items (300, limit 256)"},
		{"unnamed profile", func(i *Inventory) { i.Controls[0].Profiles = []ControlProfile{{Name: "Domain"}, {}} }, "controls[0].profiles[1].name: required"},
		{"too many profiles", func(i *Inventory) { i.Controls[0].Profiles = make([]ControlProfile, 17) }, "controls[0].profiles: at most 16 profiles"},
		{"schema", func(i *Inventory) { i.Schema = 9 }, "schema: unsupported schema version 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInventory()
			tt.mutate(inv)
			err := inv.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("not a *ValidationError: %T", err)
			}
		})
	}
}

func TestDecodeTypeErrorPath(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"hostname":"h","software":[{"name":"a","source":"dpkg"},{"name":"b","version":7,"source":"dpkg"}]}`, "software[1].version: expected a string"},
		{`{"hostname":"h","listening":[{"proto":"tcp","address":"::","port":"22"}]}`, "listening[0].port: expected an integer"},
		{`{"hostname":"h","os":[]}`, "os: expected an object"},
		{`{"hostname":"h","collected_at":"yesterday"}`, "collected_at: expected an RFC 3339 time string"},
		{`{"hostname":"h",}`, "malformed JSON at line 1, column 17"},
		{`{"hostname":"h","accounts":[{"name":"x","admin":"yes"}]}`, "accounts[0].admin: expected true or false"},
	}
	for _, tt := range tests {
		_, err := Decode(strings.NewReader(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.doc, err, tt.want)
		}
	}
}

func TestDecodeTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte(" "), MaxDocumentBytes+10)
	_, err := Decode(bytes.NewReader(big))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16 MiB") {
		t.Fatalf("got %v", err)
	}
}

func TestFixedFieldsPresent(t *testing.T) {
	inv := &Inventory{Hostname: "h"}
	inv.Normalize()
	b, _ := json.Marshal(inv)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"hostname", "os", "interfaces", "software", "hotfixes", "accounts", "listening", "controls"} {
		if _, ok := m[k]; !ok {
			t.Errorf("%s missing from %s", k, b)
		}
	}
	os := m["os"].(map[string]any)
	for _, k := range []string{"name", "version", "build"} {
		if _, ok := os[k]; !ok {
			t.Errorf("os.%s missing", k)
		}
	}
}

func TestDeltaRoundTrip(t *testing.T) {
	old := sampleInventory()
	new := sampleInventory()
	new.CollectedAt = new.CollectedAt.Add(time.Hour)
	new.Software[0].Version = "3.0.13-1~deb12u1"
	new.Software = append(new.Software, Software{Name: "nmap", Version: "7.93", Source: SoftwareDpkg, Arch: "amd64"})
	new.Listening = append(new.Listening, Listener{Proto: "tcp", Address: "0.0.0.0", Port: 4444, Process: "nc"})
	new.Accounts[1].Admin = true
	new.FQDN = ""
	new.Controls[0].Enabled = false

	d := MakeDelta(old, new)
	if d.Empty() {
		t.Fatal("empty delta")
	}
	b, _ := json.Marshal(d)
	var d2 Delta
	if err := json.Unmarshal(b, &d2); err != nil {
		t.Fatal(err)
	}
	got, err := d2.Apply(sampleInventory())
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != new.Hash() {
		t.Fatalf("rebuilt inventory differs")
	}
	if got.FQDN != "" {
		t.Errorf("fqdn not removed")
	}
	// Applying to another base is refused.
	other := sampleInventory()
	other.Hostname = "ws-043"
	if _, err := d2.Apply(other); !errors.Is(err, ErrBaseMismatch) {
		t.Fatalf("got %v, want ErrBaseMismatch", err)
	}
	// An unchanged inventory gives an empty delta.
	if d := MakeDelta(sampleInventory(), sampleInventory()); !d.Empty() || len(d.Set)+len(d.Lists) != 0 {
		t.Fatalf("delta of equal inventories: %+v", d)
	}
}

func TestNormalizeDedups(t *testing.T) {
	inv := sampleInventory()
	inv.Software = append(inv.Software, inv.Software[0])
	inv.Normalize()
	if len(inv.Software) != 2 || inv.Software[0].Name != "bash" {
		t.Fatalf("software = %+v", inv.Software)
	}
}

func TestDiff(t *testing.T) {
	old := sampleInventory()
	new := sampleInventory()
	new.Software[0].Version = "3.0.13-1~deb12u1"
	new.Software = new.Software[:1]
	new.Software = append(new.Software, Software{Name: "nmap", Version: "7.93", Source: SoftwareDpkg, Arch: "amd64"})
	new.Listening = append(new.Listening, Listener{Proto: "tcp", Address: "0.0.0.0", Port: 4444, Process: "nc"})
	new.Accounts = append(new.Accounts, Account{Name: "backdoor", Admin: true, Enabled: true})
	new.Accounts[1].Enabled = false
	new.Controls[0].Enabled = false
	new.Interfaces[0].Addresses = []string{"192.0.2.11/24"}
	var got []string
	for _, c := range Diff(old, new) {
		got = append(got, c.String())
	}
	want := []string{
		"software_upgraded dpkg:openssl:amd64: 3.0.11-1~deb12u2 -> 3.0.13-1~deb12u1",
		"software_added dpkg:nmap:amd64: 7.93",
		"software_removed dpkg:bash:amd64: was 5.2.15-2+b2",
		"port_opened tcp/0.0.0.0:4444: nc",
		"account_disabled operator1",
		"account_added backdoor",
		"admin_added backdoor",
		"control_disabled antivirus:ClamAV",
		"address_added 192.0.2.11",
		"address_removed 192.0.2.10",
		"address_removed 2001:db8::10",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.2", "1.10", -1}, {"1.0~rc1", "1.0", -1}, {"2:1.0", "1:9.9", 1},
		{"3.0.11-1~deb12u2", "3.0.13-1~deb12u1", -1}, {"10.0.19041.1", "10.0.19041.1", 0}, {"1.0a", "1.0", 1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := json.Marshal(sampleInventory())
	f.Add(b)
	f.Add([]byte(`{"hostname":"h","software":[{"name":1}]}`))
	f.Add([]byte(`{"HostName":"h","OS":{"Name":"x"},"hostname":"g","boot_time":null,"software":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The fast decoder must agree with encoding/json whenever it
		// accepts a document.
		var v1 Inventory
		if fast, err := Unmarshal(data); err == nil && json.Unmarshal(data, &v1) == nil {
			a, _ := json.Marshal(fast)
			b, _ := json.Marshal(&v1)
			if !bytes.Equal(a, b) {
				t.Fatalf("decoders disagree:\n v2 %s\n v1 %s", a, b)
			}
		}
		if raw, err := Unmarshal(data); err == nil && CheckHostname(raw.Hostname) == nil && raw.Schema >= 0 && raw.Schema <= SchemaVersion {
			raw.Sanitize()
			if err := raw.Validate(); err != nil {
				t.Fatalf("sanitized inventory still invalid: %v", err)
			}
		}
		inv, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		inv.Normalize()
		d := MakeDelta(&Inventory{Hostname: "x"}, inv)
		if _, err := d.Apply(&Inventory{Hostname: "x"}); err != nil {
			t.Fatalf("delta from a valid inventory does not apply: %v", err)
		}
	})
}
