package agent

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
)

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/linux/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseDpkgStatus(t *testing.T) {
	pkgs, err := parseDpkgStatus(open(t, "dpkg-status"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 {
		t.Fatalf("%+v", pkgs)
	}
	want := asset.Software{Name: "openssl", Version: "3.0.15-1~deb12u1", Vendor: "Debian OpenSSL Team", Source: "dpkg", Arch: "amd64"}
	if pkgs[0] != want {
		t.Errorf("got %+v", pkgs[0])
	}
	if strings.Contains(pkgs[1].Vendor, "@") {
		t.Errorf("maintainer e-mail kept: %q", pkgs[1].Vendor)
	}
}

func TestParseRPMQuery(t *testing.T) {
	pkgs, err := parseRPMQuery(open(t, "rpm-qa.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Version != "1:3.0.7-27.el9" || pkgs[1].Version != "5.14.0-427.13.1.el9_4" || pkgs[1].InstalledAt.Unix() != 1716200000 {
		t.Fatalf("%+v", pkgs)
	}
	if _, err := parseRPMQuery(strings.NewReader("name\tonly-two\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("short line: %v", err)
	}
}

func TestLinuxAccounts(t *testing.T) {
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	accts := linuxAccounts(parsePasswd(open(t, "passwd")), parseGroup(open(t, "group")), parseShadow(open(t, "shadow"), now))
	got := map[string]asset.Account{}
	for _, a := range accts {
		got[a.Name] = a
	}
	tests := []struct {
		name                   string
		admin, enabled, system bool
	}{
		{"root", true, true, false},
		{"daemon", false, false, true},
		{"operator1", true, true, false}, // sudo member
		{"deploy", true, true, false},    // sudo member, '*' password (keys only)
		{"locked", false, false, false},  // '!' password
		{"expired", false, false, false}, // expiry day passed
		{"wheeler", true, true, false},   // primary group wheel
		{"nobody", false, false, true},
	}
	if len(accts) != len(tests) {
		t.Errorf("%d accounts", len(accts))
	}
	for _, tt := range tests {
		a := got[tt.name]
		if a.Admin != tt.admin || a.Enabled != tt.enabled || a.System != tt.system {
			t.Errorf("%s: admin %v enabled %v system %v; want %v %v %v", tt.name, a.Admin, a.Enabled, a.System, tt.admin, tt.enabled, tt.system)
		}
	}
}

func TestParseProcNet(t *testing.T) {
	socks, err := parseProcNet(open(t, "proc-net-tcp"), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 3 || socks[0].local.String() != "0.0.0.0:22" || socks[1].local.String() != "127.0.0.1:5432" || socks[0].state != tcpListen || socks[0].inode != 21001 {
		t.Fatalf("%+v", socks)
	}
	if socks[2].remote.String() != "10.7.1.50:54321" || socks[2].state != tcpEstablished || socks[2].local.String() != "10.7.0.12:22" {
		t.Errorf("established: %+v", socks[2])
	}
	six, err := parseProcNet(open(t, "proc-net-tcp6"), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	if six[0].local.String() != "[::]:443" || six[1].local.String() != "127.0.0.1:9000" || six[2].local.String() != "[2001:db8::1]:80" {
		t.Errorf("tcp6: %v %v %v", six[0].local, six[1].local, six[2].local)
	}
	if _, err := parseProcNet(strings.NewReader("hdr\n 0: zz:0016 00000000:0000 0A 0 0 0 0 0 1 1\n"), "tcp"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad address: %v", err)
	}
}

func TestParseNetworkFiles(t *testing.T) {
	if gw := parseRouteGateways(open(t, "route")); len(gw) != 1 || gw[0] != "10.7.0.1" {
		t.Errorf("ipv4 gateways %v", gw)
	}
	if gw := parseIPv6RouteGateways(open(t, "ipv6_route")); len(gw) != 1 || gw[0] != "fe80::1" {
		t.Errorf("ipv6 gateways %v", gw)
	}
	dns := parseResolvConf(strings.NewReader("# x\nsearch unit7.example.org\nnameserver 10.7.0.10\nnameserver fe80::1%eth0\nnameserver bogus\n"))
	if strings.Join(dns, ",") != "10.7.0.10,fe80::1" {
		t.Errorf("dns %v", dns)
	}
}

func TestParseCPUInfoAndMeminfo(t *testing.T) {
	model, cores, threads, virt := parseCPUInfo(open(t, "cpuinfo"))
	if model != "AMD EPYC 7B13" || cores != 2 || threads != 3 || !virt {
		t.Errorf("cpu %q %d %d %v", model, cores, threads, virt)
	}
	if m := parseMeminfo(strings.NewReader("MemTotal:       24684632 kB\nMemFree: 1 kB\n")); m != 24684632*1024 {
		t.Errorf("mem %d", m)
	}
}

func TestParseOSRelease(t *testing.T) {
	m := parseOSRelease(strings.NewReader("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n# c\nbad\n"))
	if m["NAME"] != "Debian GNU/Linux" || m["VERSION_ID"] != "12" || m["VERSION_CODENAME"] != "bookworm" {
		t.Errorf("%v", m)
	}
}

func TestParseMounts(t *testing.T) {
	d := parseMounts(strings.NewReader("/dev/mapper/vg-root / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/sdb1 /mnt/My\\040Files vfat rw 0 0\ntmpfs /run tmpfs rw 0 0\n"))
	if len(d) != 2 || d[1].Mount != "/mnt/My Files" || d[0].Device != "/dev/mapper/vg-root" {
		t.Errorf("%+v", d)
	}
}

func TestParseUtmpAndLastlog(t *testing.T) {
	rec := make([]byte, utmpSize*2)
	binary.LittleEndian.PutUint16(rec[0:], utmpUserProcess)
	copy(rec[8:], "pts/0")
	copy(rec[44:], "operator1")
	copy(rec[76:], "10.7.1.50")
	binary.LittleEndian.PutUint32(rec[340:], 1732690000)
	binary.LittleEndian.PutUint16(rec[utmpSize:], 8) // DEAD_PROCESS
	s := parseUtmp(rec[:utmpSize*2-5])               // a torn last record is ignored
	if len(s) != 1 || s[0].User != "operator1" || s[0].Terminal != "pts/0" || s[0].From != "10.7.1.50" || s[0].Since.Unix() != 1732690000 {
		t.Fatalf("%+v", s)
	}
	ll := make([]byte, lastlogSize*1001)
	binary.LittleEndian.PutUint32(ll[1000*lastlogSize:], 1732600000)
	if t1 := lastLogon(ll, 1000); t1 == nil || t1.Unix() != 1732600000 {
		t.Errorf("lastlog %v", t1)
	}
	if lastLogon(ll, 5) != nil || lastLogon(ll, 99999) != nil || lastLogon(nil, 0) != nil {
		t.Error("empty lastlog entries must be nil")
	}
}

func TestParseCVDTime(t *testing.T) {
	hdr, _ := os.ReadFile("testdata/linux/daily.cld.header")
	got, err := parseCVDTime(hdr)
	if err != nil || got.Format(time.RFC3339) != "2024-11-27T09:26:00Z" {
		t.Errorf("%v %v", got, err)
	}
	if _, err := parseCVDTime([]byte("MZ\x90\x00")); err == nil {
		t.Error("non-CVD header accepted")
	}
}

func TestParseAptPeriodic(t *testing.T) {
	on, set := parseAptPeriodic(strings.NewReader("APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n"))
	if !on || !set {
		t.Error("enabled config not seen")
	}
	on, set = parseAptPeriodic(strings.NewReader("// APT::Periodic::Unattended-Upgrade \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\";\n"))
	if on || !set {
		t.Error("disabled config not seen")
	}
}

func TestFirewallRules(t *testing.T) {
	if on, _ := nftFilters("table inet filter {\n chain input {\n type filter hook input priority filter; policy drop;\n }\n}"); !on {
		t.Error("nft drop policy not seen")
	}
	if on, d := nftFilters("table inet filter {\n chain input {\n type filter hook input priority filter; policy accept;\n }\n}"); on || d != "input chain accepts everything" {
		t.Error("accept-all nft seen as filtering")
	}
	if on, _ := iptablesFilters("-P INPUT ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\n"); !on {
		t.Error("iptables DROP not seen")
	}
	if on, d := iptablesFilters("-P INPUT ACCEPT\n"); on || d != "INPUT accepts everything" {
		t.Errorf("empty iptables: %v %s", on, d)
	}
}

func TestFQDNFromHosts(t *testing.T) {
	hosts := []byte("127.0.0.1 localhost\n10.7.0.12 srv-web02.unit7.example.org srv-web02 # web\n")
	if f := fqdnFromHosts(hosts, "srv-web02"); f != "srv-web02.unit7.example.org" {
		t.Errorf("%q", f)
	}
	if f := fqdnFromHosts(hosts, "other"); f != "" {
		t.Errorf("%q", f)
	}
}

func TestParseProcStat(t *testing.T) {
	name, ppid := parseProcStat([]byte("4242 (evil (x) name) S 1 4242 4242 0 -1"))
	if name != "evil (x) name" || ppid != 1 {
		t.Errorf("%q %d", name, ppid)
	}
}

func TestLastDpkgChange(t *testing.T) {
	log := []byte("2026-11-20 06:25:10 startup packages configure\n2026-11-20 06:25:11 status installed openssl:amd64 3.0.15-1~deb12u1\n2026-11-21 07:00:00 status half-configured x 1\n")
	if got := lastDpkgChange(log); got == nil || got.In(time.Local).Format("2006-01-02 15:04:05") != "2026-11-20 06:25:11" {
		t.Errorf("%v", got)
	}
	if lastDpkgChange(bytes.Repeat([]byte("x"), 10)) != nil {
		t.Error("garbage gave a time")
	}
}

func TestMatchAgents(t *testing.T) {
	ctl := matchAgents(map[string]bool{"falcon-sensor": true, "osqueryd": true}, map[string]bool{"wazuh-agent": false, "zabbix-agent": true})
	got := map[string]asset.Control{}
	for _, c := range ctl {
		got[c.Product] = c
	}
	if c := got["CrowdStrike Falcon"]; !c.Enabled || c.Kind != asset.ControlEDR || !*c.Running {
		t.Errorf("falcon %+v", c)
	}
	if c := got["Wazuh agent"]; c.Enabled || *c.Running || c.Detail != "installed, not running" {
		t.Errorf("wazuh %+v", c)
	}
	if c := got["Zabbix agent"]; !c.Enabled || *c.Running {
		t.Errorf("zabbix %+v", c)
	}
	if _, ok := got["osquery"]; !ok || len(ctl) != 4 {
		t.Errorf("%+v", ctl)
	}
}

func TestSystemdUnit(t *testing.T) {
	u := SystemdUnit(ServiceConfig{Executable: "/usr/local/bin/vigil", StateDir: "/var/lib/vigil-agent"})
	for _, want := range []string{
		"ExecStart=/usr/local/bin/vigil agent run --state-dir /var/lib/vigil-agent\n",
		"Restart=always\n", "ReadWritePaths=/var/lib/vigil-agent\n", "WantedBy=multi-user.target\n", "Nice=10\n",
		"After=network-online.target\n", "ProtectSystem=strict\n",
	} {
		if !strings.Contains(u, want) {
			t.Errorf("unit lacks %q:\n%s", want, u)
		}
	}
	u = SystemdUnit(ServiceConfig{Executable: "/opt/my tools/vigil", StateDir: "/var/lib/vigil agent"})
	if !strings.Contains(u, `ExecStart="/opt/my tools/vigil" agent run --state-dir "/var/lib/vigil agent"`) {
		t.Errorf("paths with spaces not quoted:\n%s", u)
	}
}

func TestCollectThisMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("collects the real machine")
	}
	// The budget is CPU time, what a collection costs the host: wall time
	// also counts whatever else the machine runs (a busy CI machine took
	// 7.5 s of wall time for well under a second of CPU).
	start, cpu := time.Now(), cpuTime()
	inv, err := (&Collector{Version: "test", Hashes: NewHashCache()}).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	used := cpuTime() - cpu
	t.Logf("collect: %s CPU, %s wall", used.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if used > 2*time.Second {
		t.Errorf("collect used %s of CPU, budget 2s", used)
	}
	if err := inv.Validate(); err != nil {
		t.Fatalf("this machine's inventory is invalid: %v", err)
	}
	if inv.Hostname == "" || inv.OS.Name == "" || len(inv.Software) == 0 || len(inv.Accounts) == 0 || len(inv.Controls) < 3 {
		t.Errorf("thin inventory: host %q os %q %d software %d accounts %d controls", inv.Hostname, inv.OS.Name, len(inv.Software), len(inv.Accounts), len(inv.Controls))
	}
	for _, k := range []string{asset.ControlFirewall, asset.ControlDiskEncryption, asset.ControlAutoUpdate} {
		if inv.Control(k) == nil {
			t.Errorf("no %s control (it must always be reported)", k)
		}
	}
}

// FuzzLinuxFiles feeds the same bytes to every parser of a Linux system
// file: none may panic, whatever a tampered host holds.
func FuzzLinuxFiles(f *testing.F) {
	for _, n := range []string{"dpkg-status", "rpm-qa.txt", "proc-net-tcp", "proc-net-tcp6", "passwd", "group", "shadow", "cpuinfo", "route", "ipv6_route", "daily.cld.header"} {
		b, _ := os.ReadFile("testdata/linux/" + n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := func() *bytes.Reader { return bytes.NewReader(b) }
		parseOSRelease(r())
		parseDpkgStatus(r())
		parseRPMQuery(r())
		pw, gr := parsePasswd(r()), parseGroup(r())
		linuxAccounts(pw, gr, parseShadow(r(), time.Now()))
		parseProcNet(r(), "tcp")
		parseResolvConf(r())
		parseRouteGateways(r())
		parseIPv6RouteGateways(r())
		parseMeminfo(r())
		parseCPUInfo(r())
		parseMounts(r())
		parseUtmp(b)
		lastLogon(b, len(b)%7)
		parseCVDTime(b)
		parseAptPeriodic(r())
		lastDpkgChange(b)
		parseProcStat(b)
		parseQuser(string(b))
		fqdnFromHosts(b, "h")
	})
}

// BenchmarkCollect is one inventory of this machine with a warm digest
// cache, as `vigil agent run` does every 15 minutes.
func BenchmarkCollect(b *testing.B) {
	c := &Collector{Version: "bench", Hashes: NewHashCache()}
	if _, err := c.Collect(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Collect(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
