package scanimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/scanimport"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

const samples = "../../../shared/data/scans"

type fixture struct {
	db       *store.DB
	svc      *scanimport.Service
	officerA context.Context
	officerB context.Context
	now      time.Time
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, now: time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC)}
	f.svc = &scanimport.Service{DB: db, Now: func() time.Time { return f.now }}
	ctxs := map[string]context.Context{}
	for email, unit := range map[string]string{"officer-a@test.vigil": "A", "officer-b@test.vigil": "B"} {
		if _, err := o.CreateUser(sys, org.UserInput{Email: email, Name: email, Role: string(auth.RoleOfficer), Unit: unit, Password: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		var p auth.Principal
		if err := db.QueryRow(sys, `SELECT us.id, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
			Scan(&p.UserID, &p.UnitID, &p.UnitCode, &p.UnitPath); err != nil {
			t.Fatal(err)
		}
		p.Email, p.Role, p.Via = email, auth.RoleOfficer, "token"
		ctxs[email] = auth.WithPrincipal(context.Background(), &p)
	}
	f.officerA, f.officerB = ctxs["officer-a@test.vigil"], ctxs["officer-b@test.vigil"]
	return f
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func sampleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"nessus", "openvas", "qualys", "nexpose", "nmap", "trivy", "anchore_grype", "osv_scanner", "nuclei"} {
		m, _ := filepath.Glob(filepath.Join(samples, dir, "*"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		storetest.SkipOrFail(t, "data", "the scanner samples are not in "+samples+" (../shared/data/scans)")
	}
	// Our own fixture of the format no shared sample has: Qualys' scan report.
	return append(files, filepath.Join("testdata", "qualys_scan.xml"))
}

// independent counts what a file holds with a pass of its own that shares
// nothing with the parsers: regular expressions over the XML text, a
// generic JSON decode: the records, those the scanner grades as
// information or not vulnerable, and for Nessus the distinct findings
// (host, CVE or plugin, port) of the graded items.
type expectation struct {
	records  int
	info     int // informational (or not vulnerable, for Nexpose / Trivy not_affected)
	findings int // -1: not counted independently
}

var (
	reItem      = regexp.MustCompile(`(?s)<ReportItem\s([^>]*)>(.*?)</ReportItem>`)
	reHostBlk   = regexp.MustCompile(`(?s)<ReportHost\s+name="([^"]*)"(.*?)</ReportHost>`)
	reHostIP    = regexp.MustCompile(`<tag name="host-ip">([^<]*)</tag>`)
	reAttr      = regexp.MustCompile(`(\w+)="([^"]*)"`)
	reCVE       = regexp.MustCompile(`<cve>([^<]*)</cve>`)
	reOVResult  = regexp.MustCompile(`<result id=`)
	reOVLog     = regexp.MustCompile(`(?s)<result id=.*?<threat>(Log|Debug)</threat>.*?</result>`)
	reQVuln     = regexp.MustCompile(`<VULN_INFO>`)
	reQIg       = regexp.MustCompile(`<TYPE>Ig</TYPE>`)
	reNXTest    = regexp.MustCompile(`<test\s[^>]*?\bstatus="([^"]*)"`)
	reNmapID    = regexp.MustCompile(`<elem key="id">`)
	reQScanRec  = regexp.MustCompile(`<(VULN|PRACTICE|INFO|SERVICE) number=`)
	reQScanInfo = regexp.MustCompile(`<(INFO|SERVICE) number=`)
)

func independent(t *testing.T, path string) expectation {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	dir := filepath.Base(filepath.Dir(path))
	switch dir {
	case "nessus":
		e := expectation{}
		distinct := map[string]bool{}
		for _, hb := range reHostBlk.FindAllStringSubmatch(s, -1) {
			host := hb[1]
			if m := reHostIP.FindStringSubmatch(hb[2]); m != nil {
				host = m[1]
			}
			for _, it := range reItem.FindAllStringSubmatch(hb[2], -1) {
				e.records++
				a := map[string]string{}
				for _, kv := range reAttr.FindAllStringSubmatch(it[1], -1) {
					a[kv[1]] = kv[2]
				}
				if a["severity"] == "0" {
					e.info++
					continue
				}
				port := ""
				if a["port"] != "0" {
					port = a["port"] + "/" + a["protocol"]
				}
				cves := reCVE.FindAllStringSubmatch(it[2], -1)
				if len(cves) == 0 {
					distinct[host+"|check:"+a["pluginID"]+"|"+port] = true
				}
				for _, c := range cves {
					distinct[host+"|"+strings.ToUpper(strings.TrimSpace(c[1]))+"|"+port] = true
				}
			}
		}
		e.findings = len(distinct)
		return e
	case "openvas":
		return expectation{records: len(reOVResult.FindAllString(s, -1)), info: len(reOVLog.FindAllString(s, -1)), findings: -1}
	case "qualys":
		return expectation{records: len(reQVuln.FindAllString(s, -1)), info: len(reQIg.FindAllString(s, -1)), findings: -1}
	case "testdata": // the Qualys scan report fixture
		return expectation{records: len(reQScanRec.FindAllString(s, -1)), info: len(reQScanInfo.FindAllString(s, -1)), findings: -1}
	case "nexpose":
		e := expectation{findings: -1}
		for _, m := range reNXTest.FindAllStringSubmatch(s, -1) {
			e.records++
			if !strings.HasPrefix(m[1], "vulnerable-") {
				e.info++
			}
		}
		return e
	case "nmap":
		return expectation{records: len(reNmapID.FindAllString(s, -1)), findings: -1}
	}
	// JSON: decode generically and count.
	var docs []any
	if dir == "nuclei" {
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "[") {
			var l []any
			if err := json.Unmarshal(b, &l); err != nil {
				t2 := err
				panic(t2)
			}
			docs = l
		} else {
			for _, line := range strings.Split(s, "\n") {
				if strings.TrimSpace(line) == "" {
					continue
				}
				var v any
				if err := json.Unmarshal([]byte(line), &v); err != nil {
					panic(err)
				}
				docs = append(docs, v)
			}
		}
		e := expectation{records: len(docs), findings: -1}
		for _, d := range docs {
			if sev, _ := d.(map[string]any)["info"].(map[string]any)["severity"].(string); sev == "info" {
				e.info++
			}
		}
		return e
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	e := expectation{findings: -1}
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, k)
			}
		case []any:
			switch {
			case dir == "trivy" && (key == "Vulnerabilities" || key == "Misconfigurations" || key == "Secrets"):
				for _, el := range x {
					if m, ok := el.(map[string]any); ok {
						_, isVuln := m["VulnerabilityID"]
						_, isResource := m["Results"]
						if isVuln || (key != "Vulnerabilities" && !isResource) {
							e.records++
							if st, _ := m["Status"].(string); st == "not_affected" {
								e.info++
							}
							continue
						}
					}
					walk(el, "")
				}
				return
			case dir == "anchore_grype" && key == "matches":
				e.records += len(x)
				return
			case dir == "osv_scanner" && key == "vulnerabilities":
				e.records += len(x)
				return
			}
			for _, el := range x {
				walk(el, "")
			}
		}
	}
	walk(v, "")
	return e
}

func TestSamplesImportWithIndependentCounts(t *testing.T) {
	files := sampleFiles(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for i, path := range files {
			name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
			opt := scanimport.Options{Unit: "A", File: name}
			switch filepath.Base(filepath.Dir(path)) {
			case "trivy", "anchore_grype", "osv_scanner":
				opt.Host = fmt.Sprintf("10.9.8.%d", i+1)
			}
			in, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.Import(f.officerA, opt, in)
			in.Close()
			st, _ := os.Stat(path)
			if st.Size() == 0 {
				// An empty file says nothing of its format: refused, by name.
				if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "empty") {
					t.Errorf("%s: empty file: %v", name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			want := independent(t, path)
			info := 0
			for _, s := range res.Skipped {
				if s.Reason == scanimport.SkipInformational || s.Reason == scanimport.SkipNotVulnerable {
					info += s.Count
				}
			}
			if res.Read != want.records || res.Loaded+res.Skip != res.Read {
				t.Errorf("%s: read %d (loaded %d, skipped %d), the file holds %d records", name, res.Read, res.Loaded, res.Skip, want.records)
			}
			if info != want.info {
				t.Errorf("%s: %d skipped as information or not vulnerable, the file grades %d so (%+v)", name, info, want.info, res.Skipped)
			}
			if want.findings >= 0 && res.FindNew != want.findings {
				t.Errorf("%s: %d new findings, the file holds %d distinct (host, CVE or plugin, port)", name, res.FindNew, want.findings)
			}
			if res.Loaded > 0 && res.FindNew == 0 {
				t.Errorf("%s: %d records loaded but no finding made: %+v", name, res.Loaded, res)
			}
			t.Logf("%s: %s, %d records, %d loaded, %d skipped %v; hosts +%d ~%d; findings +%d ~%d", name, res.Scanner, res.Read, res.Loaded, res.Skip, res.Skipped, res.HostsNew, res.HostsUpd, res.FindNew, res.FindUpd)

			// Importing the same report again changes nothing but sightings.
			in, _ = os.Open(path)
			again, err := f.svc.Import(f.officerA, opt, in)
			in.Close()
			if err != nil {
				t.Fatalf("%s again: %v", name, err)
			}
			if again.FindNew != 0 || again.FindClose != 0 || again.HostsNew != 0 || again.FindUpd != res.FindNew+res.FindUpd+res.FindReop {
				t.Errorf("%s again: %+v after %+v", name, again, res)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id WHERE u.code <> 'A'`); n != 0 {
			t.Errorf("%d findings outside unit A", n)
		}
	})
}

// nessusDoc builds a small .nessus v2 report (our own fixture) of one
// host scanned at a time, with the given plugins (id → CVE, "" none).
func nessusDoc(at time.Time, items map[string]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" ?>` + "\n<NessusClientData_v2><Report name=\"weekly\"><ReportHost name=\"10.20.0.5\"><HostProperties>")
	fmt.Fprintf(&b, `<tag name="HOST_END_TIMESTAMP">%d</tag><tag name="host-ip">10.20.0.5</tag><tag name="host-fqdn">srv-app01.tinh-a.vn</tag><tag name="operating-system">Microsoft Windows Server 2019</tag>`, at.Unix())
	b.WriteString("</HostProperties>\n")
	b.WriteString(`<ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="19506" pluginName="Nessus Scan Information"><plugin_output>info</plugin_output></ReportItem>` + "\n")
	for id, cve := range items {
		fmt.Fprintf(&b, `<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="%s" pluginName="Plugin %s">`, id, id)
		if cve != "" {
			fmt.Fprintf(&b, "<cve>%s</cve>", cve)
		}
		b.WriteString("<cvss3_base_score>8.1</cvss3_base_score><plugin_output>Installed version : 1.0\nFixed version : 1.1</plugin_output></ReportItem>\n")
	}
	b.WriteString("</ReportHost></Report></NessusClientData_v2>\n")
	return b.String()
}

func TestRescanClosesAndOlderScanDoesNot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		day1 := time.Date(2026, 11, 2, 3, 0, 0, 0, time.UTC)
		day2 := day1.Add(7 * 24 * time.Hour)
		imp := func(file, doc string) *scanimport.Result {
			t.Helper()
			res, err := f.svc.Import(f.officerA, scanimport.Options{Unit: "A", File: file}, strings.NewReader(doc))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return res
		}
		first := imp("week1.nessus", nessusDoc(day1, map[string]string{"100": "CVE-2023-21674", "101": "", "102": "CVE-2023-23397"}))
		if first.FindNew != 3 || first.HostsNew != 1 || first.Skip != 1 {
			t.Fatalf("first: %+v", first)
		}
		f.now = f.now.Add(time.Hour)
		second := imp("week2.nessus", nessusDoc(day2, map[string]string{"100": "CVE-2023-21674"}))
		if second.FindClose != 2 || second.FindUpd != 1 || second.FindNew != 0 || second.HostsUpd != 1 {
			t.Fatalf("second: %+v", second)
		}
		var note, by string
		if err := db.QueryRow(context.Background(), `SELECT note, updated_by FROM findings WHERE finding_key = 'cve:CVE-2023-23397:443/tcp' AND status = 'resolved'`).Scan(&note, &by); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(note, "fixed, verified by scan week2.nessus 09/11/2026") || by != "officer-a@test.vigil" {
			t.Errorf("note %q by %q", note, by)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'finding.update'`); n != 2 {
			t.Errorf("%d closings audited, want 2", n)
		}
		// The older report again: it reports what is now fixed, but it ran
		// before the fix was verified, so nothing reopens and nothing closes.
		f.now = f.now.Add(time.Hour)
		old := imp("week1.nessus", nessusDoc(day1, map[string]string{"100": "CVE-2023-21674", "101": "", "102": "CVE-2023-23397"}))
		if old.FindClose != 0 || old.FindReop != 0 || old.HostsOld != 1 {
			t.Fatalf("older: %+v", old)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM findings WHERE status = 'resolved'`); n != 2 {
			t.Errorf("%d resolved after the older import, want 2", n)
		}
		// A third, newer scan that sees the CVE again reopens it.
		f.now = f.now.Add(time.Hour)
		third := imp("week3.nessus", nessusDoc(day2.Add(7*24*time.Hour), map[string]string{"100": "CVE-2023-21674", "102": "CVE-2023-23397"}))
		if third.FindReop != 1 || third.FindClose != 0 {
			t.Fatalf("third: %+v", third)
		}
		// Another unit's officer cannot import into A.
		if _, err := f.svc.Import(f.officerB, scanimport.Options{Unit: "A", File: "x.nessus"}, strings.NewReader(nessusDoc(day1, nil))); errs.Code(err) != errs.EINVALID && errs.Code(err) != errs.ENOTFOUND && errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("officer B into A: %v", err)
		}
		l, total, err := f.svc.List(f.officerA, scanimport.Filter{})
		if err != nil || total != 4 || len(l) != 4 || l[0].File != "week3.nessus" {
			t.Errorf("list: %d %v %v", total, l, err)
		}
		if l, total, _ := f.svc.List(f.officerB, scanimport.Filter{}); total != 0 || len(l) != 0 {
			t.Errorf("officer B sees %d imports of A", total)
		}
	})
}

const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<NessusClientData_v2><Report><ReportHost name="10.0.0.1"><ReportItem port="0" protocol="tcp" severity="4" pluginID="1" pluginName="&lol9;"/></ReportHost></Report></NessusClientData_v2>`

func TestBadReportsWriteNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		real, err := os.ReadFile(filepath.Join(samples, "nessus", "nessus_v_unknown.xml"))
		if err != nil {
			storetest.SkipOrFail(t, "data", "no nessus sample: "+err.Error())
		}
		small := &scanimport.Service{DB: db, MaxBytes: 1 << 20}
		for _, c := range []struct {
			name, doc string
			svc       *scanimport.Service
			want      string
		}{
			{"bomb.nessus", bomb, f.svc, "entity"},
			{"truncated.nessus", string(real[:len(real)*6/10]), f.svc, "truncated"},
			{"cut-json.json", `{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "x", "Vulnerabilities": [{"VulnerabilityID": "CVE-2023-1234", "Severity": "HIGH"}`, f.svc, "truncated"},
			{"big.nessus", strings.Replace(string(real), "<NessusClientData_v2>", "<NessusClientData_v2><!--"+strings.Repeat("x", 1<<20)+"-->", 1), small, "at most 1 MiB"},
			{"odd.xml", `<?xml version="1.0"?><inventory/>`, f.svc, "root <inventory>"},
		} {
			svc := c.svc
			_, err := svc.Import(f.officerA, scanimport.Options{Unit: "A", File: c.name, Host: "10.1.1.1"}, strings.NewReader(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want an error naming the file and saying %q", c.name, err, c.want)
			}
		}
		// An upload that breaks off after most of the report (the client
		// went away): rolled back like any other failure.
		broken := io.MultiReader(strings.NewReader(string(real[:len(real)*9/10])), iotest.ErrReader(errors.New("connection reset by peer")))
		if _, err := f.svc.Import(f.officerA, scanimport.Options{Unit: "A", File: "dropped.nessus"}, broken); err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("dropped upload: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM findings`) + count(t, db, `SELECT COUNT(*) FROM hosts`); n != 0 {
			t.Errorf("%d rows written by refused reports", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM scan_imports WHERE status = 'failed'`); n != 6 {
			t.Errorf("%d failed imports recorded, want 6", n)
		}
	})
}

var _ = bytes.NewReader
