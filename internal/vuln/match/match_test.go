package match

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/vuln/kb"
)

func TestParseMSRCName(t *testing.T) {
	for _, c := range []struct {
		name string
		want WinOS
	}{
		{"Windows Server 2019", WinOS{Family: "server 2019", Arch: "x64"}},
		{"Windows Server 2019 (Server Core installation)", WinOS{Family: "server 2019", Arch: "x64", Core: true}},
		{"Windows Server 2012 R2", WinOS{Family: "server 2012 r2", Arch: "x64"}},
		{"Windows Server 2022, 23H2 Edition (Server Core installation)", WinOS{Family: "server 2022", Release: "23h2", Arch: "x64", Core: true}},
		{"Windows 10 Version 22H2 for x64-based Systems", WinOS{Family: "10", Release: "22h2", Arch: "x64"}},
		{"Windows 10 Version 22H2 for 32-bit Systems", WinOS{Family: "10", Release: "22h2", Arch: "32"}},
		{"Windows 10 Version 1809 for ARM64-based Systems", WinOS{Family: "10", Release: "1809", Arch: "arm64"}},
		{"Windows 10 for x64-based Systems", WinOS{Family: "10", Release: "1507", Arch: "x64"}},
		{"Windows 11 version 21H2 for x64-based Systems", WinOS{Family: "11", Release: "21h2", Arch: "x64"}},
		{"Windows 11 Version 23H2 for ARM64-based Systems", WinOS{Family: "11", Release: "23h2", Arch: "arm64"}},
	} {
		got, ok := ParseMSRCName(c.name)
		if !ok || got != c.want {
			t.Errorf("ParseMSRCName(%q) = %+v %v, want %+v", c.name, got, ok, c.want)
		}
	}
	for _, n := range []string{"Microsoft Office 2019 for 64-bit editions", "Microsoft .NET Framework 4.8 on Windows Server 2019", ".NET 6.0"} {
		if _, ok := ParseMSRCName(n); ok {
			t.Errorf("ParseMSRCName(%q) took it for Windows", n)
		}
	}
}

func TestIdentifyWindows(t *testing.T) {
	for _, c := range []struct {
		os   asset.OS
		want WinOS
	}{
		{asset.OS{Family: "windows", Name: "Microsoft Windows Server 2019 Standard", Version: "10.0.17763", Build: "17763.5329", Arch: "amd64"}, WinOS{Family: "server 2019", Arch: "x64"}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows Server 2022 Datacenter", Version: "10.0.20348", Build: "20348.2227"}, WinOS{Family: "server 2022", Arch: "x64"}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows Server 2012 R2 Standard", Version: "6.3.9600", Build: "9600.21620"}, WinOS{Family: "server 2012 r2", Arch: "x64"}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows Server 2016 Datacenter (Server Core)", Version: "10.0.14393", Build: "14393.6614"}, WinOS{Family: "server 2016", Arch: "x64", Core: true}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows 10 Pro", Version: "10.0.19045", Build: "19045.3930", Arch: "amd64"}, WinOS{Family: "10", Release: "22h2", Arch: "x64"}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows 10 Enterprise", Version: "10.0.19044", Build: "19044.3930", Arch: "x86"}, WinOS{Family: "10", Release: "21h2", Arch: "32"}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro", Version: "10.0.22631", Build: "22631.3007", Arch: "amd64"}, WinOS{Family: "11", Release: "23h2", Arch: "x64"}},
		{asset.OS{Family: "windows", Name: "Microsoft Windows 10 Pro", Version: "10.0.22621", Build: "22621.2861"}, WinOS{Family: "11", Release: "22h2", Arch: "x64"}}, // a tool calling 11 "10"
		{asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro", Build: "22000.2652", Arch: "ARM64"}, WinOS{Family: "11", Release: "21h2", Arch: "arm64"}},
		{asset.OS{Family: "windows", Name: "Windows Server", Version: "10.0.17763"}, WinOS{Family: "server 2019", Arch: "x64"}},
	} {
		got, why, ok := IdentifyWindows(c.os)
		if !ok || got != c.want {
			t.Errorf("IdentifyWindows(%+v) = %+v %v (%s), want %+v", c.os, got, ok, why, c.want)
		}
	}
	if _, _, ok := IdentifyWindows(asset.OS{Family: "linux", Name: "Debian GNU/Linux", Version: "12"}); ok {
		t.Error("Debian taken for Windows")
	}
	if _, why, ok := IdentifyWindows(asset.OS{Family: "windows", Name: "Microsoft Windows 10 Pro", Build: "12345.1"}); ok || why == "" {
		t.Errorf("unknown build: ok=%v why=%q", ok, why)
	}
}

func TestParseBuild(t *testing.T) {
	for _, c := range []struct {
		s    string
		want Build
	}{
		{"17763.5329", Build{17763, 5329}}, {"10.0.17763.5206", Build{17763, 5206}}, {"10.0.17763", Build{17763, 0}}, {"6.3.9600.21715", Build{9600, 21715}},
	} {
		if got, ok := ParseBuild(c.s); !ok || got != c.want {
			t.Errorf("ParseBuild(%q) = %+v", c.s, got)
		}
	}
	if _, ok := ParseBuild("bookworm"); ok {
		t.Error("bookworm is a build")
	}
}

// A small hand-made knowledge base: three monthly cumulative updates of
// one product chained by supersedence, a security-only update, and one
// month whose update does not name the previous one.
func tinyKB() *Data {
	day := func(m int) time.Time { return time.Date(2023, time.Month(m), 10, 0, 0, 0, 0, time.UTC) }
	fix := func(cve, k, sub, build string, m int, sev string, sup ...string) kb.MSFix {
		return kb.MSFix{CVE: cve, ProductID: "11571", KB: k, SubType: sub, FixedBuild: build, Released: day(m), Document: day(m).Format("2006-Jan"), Severity: sev, Supersedes: sup}
	}
	return &Data{
		Version:  "tiny",
		Products: []kb.Product{{ID: "11571", Name: "Windows Server 2019"}, {ID: "11572", Name: "Windows Server 2019 (Server Core installation)"}, {ID: "12009", Name: ".NET 6.0"}},
		Fixes: []kb.MSFix{
			fix("CVE-2023-0001", "5000001", "Security Update", "10.0.17763.100", 1, "critical"),
			fix("CVE-2023-0002", "5000001", "Security Update", "10.0.17763.100", 1, "high"),
			fix("CVE-2023-0003", "5000002", "Security Update", "10.0.17763.200", 2, "high", "5000001"),
			fix("CVE-2023-0004", "5000003", "Security Update", "10.0.17763.300", 3, "medium"), // no supersedence given
			fix("CVE-2023-0005", "5000004", "Security Update", "10.0.17763.400", 4, "high", "5000003"),
			fix("CVE-2023-0005", "5000104", "Security Hotpatch Update", "10.0.17763.399", 4, "high"),
			{CVE: "CVE-2023-0100", ProductID: "12009", KB: "5000200", SubType: "Security Update", FixedBuild: "6.0.25", Released: day(4), Severity: "high"},
			{CVE: "CVE-2023-0200", ProductID: "11571", KB: "Click to Run", SubType: "Security Update", Released: day(4), Severity: "high"},
		},
		CVEs: []kb.CVE{{ID: "CVE-2023-0001", CVSS: 9.8, Severity: "critical"}, {ID: "CVE-2023-0002", CVSS: 7.5}, {ID: "CVE-2023-0003", CVSS: 7.8}, {ID: "CVE-2023-0005", CVSS: 8.8}},
		KEV:  []kb.KEV{{CVE: "CVE-2023-0003", Due: day(5)}},
		EPSS: []kb.EPSS{{CVE: "CVE-2023-0001", Score: 0.9}},
	}
}

func TestMissingUpdatesTiny(t *testing.T) {
	ix := NewIndex(tinyKB())
	if !ix.Supersedes("KB5000002", "5000001") || ix.Supersedes("5000004", "5000001") {
		t.Fatal("supersedence chain wrong")
	}
	// Nothing installed, old build: one update, the newest, for all five CVEs.
	r := ix.Match(server2019("17763.50"))
	if len(r.Updates) != 1 || r.Updates[0].KB != "5000004" {
		t.Fatalf("updates %+v", r.Updates)
	}
	u := r.Updates[0]
	if len(u.CVEs) != 5 || u.CVEs[0] != "CVE-2023-0001" || u.Severity != "critical" || u.CVSS != 9.8 || !u.KEV || u.EPSS != 0.9 {
		t.Errorf("update %+v", u)
	}
	if len(u.Replaces) != 3 {
		t.Errorf("replaces %v", u.Replaces)
	}
	// The CVE named first is the known-exploited one (high, 7.8), not the
	// most severe (critical, 9.8): a KEV flag beside another CVE would mislead.
	if u.TopCVE != "CVE-2023-0003" {
		t.Errorf("top CVE %s, want the KEV entry CVE-2023-0003", u.TopCVE)
	}
	// February installed by KB (build not reported): January is covered
	// by supersedence, February itself; March and April remain under April.
	r = ix.Match(&asset.Inventory{OS: asset.OS{Family: "windows", Name: "Microsoft Windows Server 2019 Standard"}, Hotfixes: []asset.Hotfix{{ID: "KB5000002"}}})
	if len(r.Updates) != 1 || r.Updates[0].KB != "5000004" || len(r.Updates[0].CVEs) != 2 {
		t.Fatalf("with February: %+v", r.Updates)
	}
	// March's build: everything up to March is covered by the build,
	// though March's update names no predecessor.
	r = ix.Match(server2019("17763.300"))
	if len(r.Updates) != 1 || len(r.Updates[0].CVEs) != 1 || r.Updates[0].CVEs[0] != "CVE-2023-0005" {
		t.Fatalf("on March's build: %+v", r.Updates)
	}
	// The hotpatch closes April's CVE when installed.
	r = ix.Match(server2019("17763.300", "5000104"))
	if len(r.Updates) != 0 {
		t.Fatalf("with the hotpatch: %+v", r.Updates)
	}
	// Up to date.
	r = ix.Match(server2019("17763.400"))
	if len(r.Updates) != 0 {
		t.Fatalf("current: %+v", r.Updates)
	}
	// .NET 6 runtime below the fixed build, on Windows and on Debian.
	inv := server2019("17763.400")
	inv.Software = []asset.Software{{Name: "Microsoft .NET Runtime - 6.0.21 (x64)", Version: "48.84.20384", Source: asset.SoftwareRegistry}}
	r = ix.Match(inv)
	if len(r.Updates) != 1 || r.Updates[0].KB != "5000200" || r.Updates[0].Installed != "6.0.21" || r.Mapped != 1 {
		t.Fatalf(".NET 6.0.21: %+v", r)
	}
	inv.Software[0].Name = "Microsoft .NET Runtime - 6.0.25 (x64)"
	if r = ix.Match(inv); len(r.Updates) != 0 {
		t.Fatalf(".NET 6.0.25: %+v", r.Updates)
	}
	deb := &asset.Inventory{OS: asset.OS{Family: "linux", Name: "Debian GNU/Linux", Version: "12"}, Software: []asset.Software{{Name: "dotnet-runtime-6.0", Version: "6.0.24-1", Source: asset.SoftwareDpkg}}}
	if r = ix.Match(deb); len(r.Updates) != 1 {
		t.Fatalf("dotnet-runtime-6.0 6.0.24: %+v", r.Updates)
	}
	// Office is said to be unchecked, not silently skipped.
	inv.Software = []asset.Software{{Name: "Microsoft Office Professional Plus 2019", Version: "16.0.10405.20015", Source: asset.SoftwareRegistry}}
	r = ix.Match(inv)
	if len(r.NotCovered) != 1 || len(r.Unmapped) != 1 {
		t.Fatalf("Office: %+v", r)
	}
}

func TestCPEMatching(t *testing.T) {
	m := func(cve string, cfg, node int, op string, vuln bool, criteria string, set func(*kb.CPEMatch)) kb.CPEMatch {
		x := kb.CPEMatch{CVE: cve, Vulnerable: vuln, Criteria: criteria, Config: cfg, Node: node, Operator: op}
		x.Part, x.Vendor, x.Product, x.Version = splitCPE(criteria)
		if set != nil {
			set(&x)
		}
		return x
	}
	and := func(x *kb.CPEMatch) { x.ConfigOperator = "AND" }
	d := &Data{
		CPE: []kb.CPEMatch{
			// OpenSSL 3.0.0 ≤ v < 3.0.13.
			m("CVE-2024-0001", 0, 0, "OR", true, "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", func(x *kb.CPEMatch) { x.VersionStartIncluding, x.VersionEndExcluding = "3.0.0", "3.0.13" }),
			// OpenSSH ≤ 9.5 on Debian 12 only (AND with a platform node).
			m("CVE-2024-0002", 0, 0, "OR", true, "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", func(x *kb.CPEMatch) { x.VersionEndIncluding = "9.5"; and(x) }),
			m("CVE-2024-0002", 0, 1, "OR", false, "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*", and),
			// 7-Zip exactly 22.01.
			m("CVE-2024-0003", 0, 0, "OR", true, "cpe:2.3:a:7-zip:7-zip:22.01:*:*:*:*:*:*:*", nil),
			// Chrome < 120.0.6099.224, start excluding 100.
			m("CVE-2024-0004", 0, 0, "OR", true, "cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*", func(x *kb.CPEMatch) { x.VersionStartExcluding, x.VersionEndExcluding = "100", "120.0.6099.224" }),
			// nginx < 1.25.3 unless (negated node) on Windows.
			m("CVE-2024-0005", 0, 0, "OR", true, "cpe:2.3:a:f5:nginx:*:*:*:*:*:*:*:*", func(x *kb.CPEMatch) { x.VersionEndExcluding = "1.25.3"; and(x) }),
			m("CVE-2024-0005", 0, 1, "OR", false, "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", func(x *kb.CPEMatch) { x.Negate = true; and(x) }),
		},
		CVEs: []kb.CVE{{ID: "CVE-2024-0001", CVSS: 7.5}, {ID: "CVE-2024-0002", CVSS: 9.8, Severity: "critical"}},
	}
	ix := NewIndex(d)
	deb := &asset.Inventory{OS: asset.OS{Family: "linux", Name: "Debian GNU/Linux", Version: "12"}, Software: []asset.Software{
		{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: asset.SoftwareDpkg},
		{Name: "openssh-server", Version: "1:9.2p1-2+deb12u1", Source: asset.SoftwareDpkg},
		{Name: "nginx", Version: "1.22.1-9", Source: asset.SoftwareDpkg},
		{Name: "libfoo1", Version: "1.0-1", Source: asset.SoftwareDpkg},
	}}
	r := ix.Match(deb)
	got := map[string]Vulnerability{}
	for _, v := range r.Vulns {
		got[v.CVE] = v
	}
	if len(got) != 3 || got["CVE-2024-0001"].FixedIn != "3.0.13" || got["CVE-2024-0002"].Package != "openssh-server" || got["CVE-2024-0005"].Package != "nginx" {
		t.Fatalf("Debian: %+v", r.Vulns)
	}
	if r.Vulns[0].CVE != "CVE-2024-0002" || got["CVE-2024-0001"].Severity != "high" {
		t.Errorf("order or severity: %+v", r.Vulns)
	}
	if r.Mapped != 3 || len(r.Unmapped) != 1 || r.Unmapped[0].String() != "libfoo1 1.0-1" {
		t.Errorf("mapped %d unmapped %v", r.Mapped, r.Unmapped)
	}
	// Debian 11: the AND configuration's platform does not hold; OpenSSL 3.0.13 is fixed.
	deb.OS.Version = "11"
	deb.Software[0].Version = "3.0.13-1~deb12u1"
	r = ix.Match(deb)
	if len(r.Vulns) != 1 || r.Vulns[0].CVE != "CVE-2024-0005" {
		t.Fatalf("Debian 11: %+v", r.Vulns)
	}
	win := &asset.Inventory{OS: asset.OS{Family: "windows", Name: "Microsoft Windows 10 Pro", Build: "19045.3930"}, Software: []asset.Software{
		{Name: "7-Zip 22.01 (x64)", Version: "22.01", Source: asset.SoftwareRegistry},
		{Name: "Google Chrome", Version: "120.0.6099.130", Source: asset.SoftwareRegistry},
		{Name: "Phần mềm kê khai BHXH", Version: "3.2.1", Source: asset.SoftwareRegWOW},
	}}
	r = ix.Match(win)
	if len(r.Vulns) != 2 || r.Mapped != 2 || len(r.Unmapped) != 1 {
		t.Fatalf("Windows programs: %+v", r)
	}
	win.Software[0].Version, win.Software[1].Version = "23.01", "120.0.6099.225"
	if r = ix.Match(win); len(r.Vulns) != 0 {
		t.Fatalf("updated programs: %+v", r.Vulns)
	}
}

func TestLookupCPE(t *testing.T) {
	for _, c := range []struct {
		s    asset.Software
		want string
	}{
		{asset.Software{Name: "openssh-server", Source: "dpkg"}, "openbsd:openssh"},
		{asset.Software{Name: "libssl3:amd64", Source: "dpkg"}, "openssl:openssl"},
		{asset.Software{Name: "openssl-libs", Source: "rpm"}, "openssl:openssl"},
		{asset.Software{Name: "apache2", Source: "dpkg"}, "apache:http_server"},
		{asset.Software{Name: "httpd", Source: "rpm"}, "apache:http_server"},
		{asset.Software{Name: "nginx", Source: "dpkg"}, "f5:nginx"},
		{asset.Software{Name: "mysql-server-8.0", Source: "dpkg"}, "oracle:mysql"},
		{asset.Software{Name: "postgresql-15", Source: "dpkg"}, "postgresql:postgresql"},
		{asset.Software{Name: "openjdk-17-jre-headless", Source: "dpkg"}, "oracle:openjdk"},
		{asset.Software{Name: "java-11-openjdk-headless", Source: "rpm"}, "oracle:openjdk"},
		{asset.Software{Name: "7-Zip 23.01 (x64)", Source: "registry"}, "7-zip:7-zip"},
		{asset.Software{Name: "Google Chrome", Source: "registry"}, "google:chrome"},
		{asset.Software{Name: "Mozilla Firefox (x64 en-US)", Source: "registry"}, "mozilla:firefox"},
		{asset.Software{Name: "Mozilla Firefox ESR (x64 en-US)", Source: "registry"}, "mozilla:firefox_esr"},
		{asset.Software{Name: "Adobe Acrobat Reader DC MUI", Source: "registry32"}, "adobe:acrobat_reader_dc"},
		{asset.Software{Name: "WinRAR 6.24 (64-bit)", Source: "registry"}, "rarlab:winrar"},
		{asset.Software{Name: "Java 8 Update 391 (64-bit)", Source: "registry"}, "oracle:jre"},
		{asset.Software{Name: "Notepad++ (64-bit x64)", Source: "registry"}, `notepad-plus-plus:notepad\+\+`},
		{asset.Software{Name: "libfoo1", Source: "dpkg"}, ""},
		{asset.Software{Name: "Phần mềm kê khai BHXH", Source: "registry32"}, ""},
		{asset.Software{Name: "gitlab-runner", Source: "dpkg"}, ""}, // never a near name
	} {
		got := LookupCPE(c.s)
		s := ""
		if len(got) > 0 {
			s = got[0].String()
		}
		if s != c.want {
			t.Errorf("LookupCPE(%q) = %q, want %q", c.s.Name, s, c.want)
		}
	}
}

// The positions the CPE index compares agree with comparing versions
// directly, on random ranges and versions.
func TestCPEPositionsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	v := func() string {
		s := fmt.Sprintf("%d.%d", rng.IntN(4), rng.IntN(4))
		if rng.IntN(2) == 0 {
			s += fmt.Sprintf(".%d", rng.IntN(4))
		}
		if rng.IntN(6) == 0 {
			s += []string{"a", "rc1", "p1", "-beta"}[rng.IntN(4)]
		}
		return s
	}
	var ms []kb.CPEMatch
	for i := 0; i < 300; i++ {
		m := kb.CPEMatch{CVE: fmt.Sprintf("CVE-2024-%04d", i), Vulnerable: true, Part: "a", Vendor: "openssl", Product: "openssl", Version: "*"}
		switch rng.IntN(6) {
		case 0:
			m.Version = v()
		case 1:
			m.VersionStartIncluding, m.VersionEndExcluding = v(), v()
		case 2:
			m.VersionStartExcluding, m.VersionEndIncluding = v(), v()
		case 3:
			m.VersionEndExcluding = v()
		case 4:
			m.VersionStartIncluding = v()
		}
		ms = append(ms, m)
	}
	ix := NewIndex(&Data{CPE: ms})
	direct := func(x string, m kb.CPEMatch) bool {
		if !anyVersion(m.Version) {
			return CompareVersion(x, m.Version) == 0
		}
		return (m.VersionStartIncluding == "" || CompareVersion(x, m.VersionStartIncluding) >= 0) &&
			(m.VersionStartExcluding == "" || CompareVersion(x, m.VersionStartExcluding) > 0) &&
			(m.VersionEndIncluding == "" || CompareVersion(x, m.VersionEndIncluding) <= 0) &&
			(m.VersionEndExcluding == "" || CompareVersion(x, m.VersionEndExcluding) < 0)
	}
	for k := 0; k < 300; k++ {
		x := v()
		r := ix.Match(&asset.Inventory{Software: []asset.Software{{Name: "openssl", Version: x + "-1", Source: asset.SoftwareDpkg}}})
		got := map[string]bool{}
		for _, f := range r.Vulns {
			got[f.CVE] = true
		}
		for _, m := range ms {
			if want := direct(x, m); got[m.CVE] != want {
				t.Fatalf("%s against %+v: positions say %v, direct comparison %v", x, m, got[m.CVE], want)
			}
		}
	}
}

// FuzzMatch feeds the matcher inventories with any OS name, build,
// architecture, program, version and hotfix (what agents and imports
// bring from outside): it must not panic, and what it reports must name
// KBs of the knowledge base.
func FuzzMatch(f *testing.F) {
	ix := NewIndex(tinyKB())
	f.Add("Microsoft Windows Server 2019 Standard", "17763.50", "amd64", "Microsoft .NET Runtime - 6.0.21 (x64)", "6.0.21", "KB5000002")
	f.Add("Microsoft Windows 10 Pro", "19045.3930", "x86", "7-Zip 22.01 (x64)", "22.01", "kb")
	f.Add("Debian GNU/Linux", "bookworm", "", "dotnet-runtime-6.0", "1:6.0.24-1~x", "")
	f.Fuzz(func(t *testing.T, osName, build, arch, prog, version, hotfix string) {
		for _, src := range []string{asset.SoftwareRegistry, asset.SoftwareDpkg, asset.SoftwareRPM} {
			inv := &asset.Inventory{OS: asset.OS{Name: osName, Build: build, Version: build, Arch: arch},
				Software: []asset.Software{{Name: prog, Version: version, Source: src}}, Hotfixes: []asset.Hotfix{{ID: hotfix}}}
			r := ix.Match(inv)
			for _, u := range r.Updates {
				if u.KB == "" || len(u.CVEs) == 0 {
					t.Fatalf("empty update %+v", u)
				}
			}
			if r.Mapped+len(r.Unmapped) != 1 {
				t.Fatalf("one package, mapped %d unmapped %d", r.Mapped, len(r.Unmapped))
			}
		}
	})
}
