package match

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln/kb"
	"vigil/internal/vuln/msrc"
)

// msrcDir is the shared MSRC data, from the project root.
const msrcDir = "../../../../shared/data/msrc"

func needMSRC(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(msrcDir, "cvrf-*.xml"))
	if len(files) == 0 {
		storetest.SkipOrFail(t, "data", "no MSRC data in "+msrcDir)
	}
	return files
}

// loadMSRC reads the MSRC documents into Data with the product's parser.
func loadMSRC(t testing.TB, files []string) *Data {
	t.Helper()
	d := &Data{Version: "test"}
	for _, f := range files {
		products, fixes, cves, err := msrc.ParseFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		d.Products = append(d.Products, products...)
		d.Fixes = append(d.Fixes, fixes...)
		d.CVEs = append(d.CVEs, cves...)
	}
	return d
}

// independentCritical counts, with a plain second pass over the raw XML
// (no shared code with the reader under test), the CVEs MSRC rates
// Critical for product id in the documents of year.
func independentCritical(t *testing.T, files []string, year, id string) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		if !strings.Contains(filepath.Base(f), "-"+year+"-") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(raw)
		for _, v := range strings.Split(s, "Vulnerability Ordinal=")[1:] {
			cveStart := strings.Index(v, "CVE>")
			if cveStart < 0 {
				continue
			}
			cve := v[cveStart+4:]
			cve = cve[:strings.IndexByte(cve, '<')]
			for _, th := range strings.Split(v, "Threat Type=\"Severity\"")[1:] {
				end := strings.Index(th, "Threat>")
				if end < 0 {
					continue
				}
				block := th[:end]
				if strings.Contains(block, ">Critical<") && strings.Contains(block, ">"+id+"<") {
					// Only CVEs with a KB fix for the product count.
					if hasKBFix(v, id) {
						out[cve] = true
					}
				}
			}
		}
	}
	return out
}

func hasKBFix(v, id string) bool {
	for _, r := range strings.Split(v, "Remediation Type=\"Vendor Fix\"")[1:] {
		end := strings.Index(r, "Remediation>")
		if end >= 0 {
			r = r[:end]
		}
		if !strings.Contains(r, ">"+id+"<") {
			continue
		}
		d := r[strings.Index(r, "Description>")+len("Description>"):]
		d = d[:strings.IndexByte(d, '<')]
		if digitsKB(d) != "" {
			return true
		}
	}
	return false
}

func server2019(build string, kbs ...string) *asset.Inventory {
	inv := &asset.Inventory{Hostname: "srv-2019", OS: asset.OS{Family: "windows", Name: "Microsoft Windows Server 2019 Standard", Version: "10.0.17763", Build: build}}
	for _, k := range kbs {
		inv.Hotfixes = append(inv.Hotfixes, asset.Hotfix{ID: "KB" + k})
	}
	return inv
}

// The done-when: a Windows Server 2019 host with no 2023 KBs is
// told the 2023 critical CVEs and the KBs that fix them; the same host
// with December 2023's cumulative update is told none of those it
// supersedes.
func TestServer2019DoneWhen(t *testing.T) {
	files := needMSRC(t)
	d := loadMSRC(t, files)
	ix := NewIndex(d)

	// Find the December 2023 cumulative update of Windows Server 2019 in
	// the document itself.
	const ws2019 = "11571"
	if ix.ProductName(ws2019) != "Windows Server 2019" {
		t.Fatalf("product %s is %q", ws2019, ix.ProductName(ws2019))
	}
	var dec string
	for _, f := range d.Fixes {
		if f.Document == "2023-Dec" && f.ProductID == ws2019 && f.SubType == "Security Update" && strings.HasPrefix(f.FixedBuild, "10.0.17763.") {
			dec = f.KB
		}
	}
	if dec == "" {
		t.Fatal("no December 2023 cumulative update for Windows Server 2019")
	}
	t.Logf("December 2023 cumulative update for Windows Server 2019: KB%s", dec)

	// August 2022's build, no 2023 KB.
	old := ix.Match(server2019("17763.3287", "5016623"))
	if old.Windows != "Windows Server 2019" {
		t.Fatalf("recognised as %q", old.Windows)
	}
	want := independentCritical(t, files, "2023", ws2019)
	if len(want) < 10 {
		t.Fatalf("independent count found only %d critical 2023 CVEs", len(want))
	}
	got := map[string]string{}
	for _, u := range old.Updates {
		for _, c := range u.CVEs {
			got[c] = u.KB
		}
	}
	for c := range want {
		k, ok := got[c]
		if !ok {
			t.Errorf("critical %s not reported", c)
			continue
		}
		// The KB named must fix the CVE: be one of its fixes or
		// supersede one.
		if !kbFixes(d, ix, ws2019, k, c) {
			t.Errorf("%s: KB%s does not fix it", c, k)
		}
	}
	t.Logf("host on 17763.3287: %d updates to install, %d critical 2023 CVEs (independent count) all named", len(old.Updates), len(want))
	// One cumulative update, not twelve: the Windows CVEs of 2023 come
	// under the newest cumulative update.
	var windowsKBs []string
	for _, u := range old.Updates {
		if u.ProductID == ws2019 {
			windowsKBs = append(windowsKBs, u.KB+" "+u.SubType+" "+u.Document)
		}
	}
	t.Logf("Windows updates named: %v", windowsKBs)

	// With December's cumulative update and its build.
	cur := ix.Match(server2019("17763.5206", dec))
	var decCVEs []string
	for _, f := range d.Fixes {
		if f.ProductID == ws2019 && (f.KB == dec || ix.Supersedes(dec, f.KB)) {
			decCVEs = append(decCVEs, f.CVE)
		}
	}
	left := map[string]bool{}
	for _, u := range cur.Updates {
		for _, c := range u.CVEs {
			left[c] = true
		}
		if u.ProductID == ws2019 && !u.Released.After(time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("after December's update: still told to install KB%s (%s)", u.KB, u.Document)
		}
	}
	for _, c := range decCVEs {
		if left[c] {
			t.Errorf("%s is fixed by KB%s or an update it supersedes, yet reported", c, dec)
		}
	}
	stillCritical := 0
	for c := range want {
		if left[c] {
			stillCritical++
		}
	}
	if stillCritical > 0 {
		t.Errorf("%d critical 2023 CVEs still reported after December's cumulative update", stillCritical)
	}
	var kbs []string
	for _, u := range cur.Updates {
		kbs = append(kbs, u.KB+" ("+u.Document+")")
	}
	sort.Strings(kbs)
	t.Logf("with KB%s: %d CVEs covered, left to install: %v", dec, len(decCVEs), kbs)

	// The build alone (an inventory without the hotfix list) is enough.
	byBuild := ix.Match(server2019("17763.5206"))
	for _, u := range byBuild.Updates {
		if u.ProductID == ws2019 && !u.Released.After(time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("build 17763.5206 without hotfixes: told to install KB%s (%s)", u.KB, u.Document)
		}
	}
}

// kbFixes reports whether installing KB k fixes cve on product: k is one
// of its fixes, supersedes one, or is a cumulative update whose fixed
// build is at least a fix's.
func kbFixes(d *Data, ix *Index, product, k, cve string) bool {
	var kBuild Build
	for _, f := range d.Fixes {
		if f.KB == k && f.ProductID == product {
			kBuild, _ = ParseBuild(f.FixedBuild)
		}
	}
	for _, f := range d.Fixes {
		if f.CVE != cve || f.ProductID != product {
			continue
		}
		if f.KB == k || ix.Supersedes(k, f.KB) {
			return true
		}
		if b, ok := ParseBuild(f.FixedBuild); ok && b.Revision > 0 && kBuild.Revision >= b.Revision {
			return true
		}
	}
	return false
}

// With the documents of 2023 only (November 2022 to December 2023), the
// host with no 2023 update is told December's cumulative update, once.
func TestServer2019Only2023(t *testing.T) {
	var files []string
	for _, f := range needMSRC(t) {
		if !strings.Contains(f, "2024-") {
			files = append(files, f)
		}
	}
	d := loadMSRC(t, files)
	ix := NewIndex(d)
	r := ix.Match(server2019("17763.3287"))
	var win []Update
	for _, u := range r.Updates {
		if u.ProductID == "11571" {
			win = append(win, u)
		}
	}
	if len(win) != 1 || win[0].KB != "5033371" {
		var kbs []string
		for _, u := range win {
			kbs = append(kbs, u.KB+" "+u.Document)
		}
		t.Fatalf("Windows updates: %v, want only KB5033371", kbs)
	}
	u := win[0]
	t.Logf("KB%s closes %d CVEs (%s, CVSS %.1f, top %s), replaces %d monthly updates: %v", u.KB, len(u.CVEs), u.Severity, u.CVSS, u.TopCVE, len(u.Replaces), u.Replaces)
	if len(u.Replaces) < 11 {
		t.Errorf("replaces %d updates; want the 2023 monthly ones", len(u.Replaces))
	}
	if u.Severity != kb.SeverityCritical {
		t.Errorf("severity %s", u.Severity)
	}
}
