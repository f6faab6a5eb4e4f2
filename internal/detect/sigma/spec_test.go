package sigma_test

import (
	"errors"
	"io"
	"os"
	"strings"

	"path/filepath"
	"testing"
	"vigil/internal/detect"
	"vigil/internal/detect/parse"

	"vigil/internal/detect/internal/testdatadir"
	"vigil/internal/detect/sigma"
)

// sigmaHQRules loads the named SigmaHQ rule files (relative to
// ../shared/data/sigma) with opts; every one must load.
func sigmaHQRules(t *testing.T, opts sigma.Options, files ...string) *sigma.RuleSet {
	t.Helper()
	dir := testdatadir.Shared(t, "sigma")
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dir, f))
	}
	res, err := sigma.Load(paths, sigma.Filter{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Refused {
		t.Errorf("refused: %v", e)
	}
	if res.Rules.Len() != len(files) {
		t.Fatalf("loaded %d of %d rules", res.Rules.Len(), len(files))
	}
	return res.Rules
}

// firingByRecord runs rs over a fixture file and returns, per record
// number, the ids of the rules that fired.
func firingByRecord(t *testing.T, rs *sigma.RuleSet, path string) map[uint64][]string {
	t.Helper()
	out := map[uint64][]string{}
	eachEvent(t, path, func(ev *detectEvent) {
		for _, c := range rs.NewMatcher().Match(ev) {
			out[ev.Record] = append(out[ev.Record], c.ID)
		}
	})
	return out
}

// TestFieldNamesWithSpaces: Sigma writes event field names that hold
// spaces without them. Defender's "Source Name" and "Process Name" must
// meet SigmaHQ's SourceName and ProcessName, both to fire (AMSI trigger)
// and to filter (ASR LSASS access from svchost.exe is a known false
// positive the rule leaves out).
func TestFieldNamesWithSpaces(t *testing.T) {
	const (
		amsi = "ea9bf0fa-edec-4fb8-8b78-b119f2528186"
		asr  = "a0a278fe-2c0e-4de2-ac3c-c68b08a9ba98"
	)
	rs := sigmaHQRules(t, sigma.Options{},
		"rules/windows/builtin/windefend/win_defender_malware_detected_amsi_source.yml",
		"rules/windows/builtin/windefend/win_defender_asr_lsass_access.yml")
	got := firingByRecord(t, rs, "testdata/defender.xml")
	want := map[uint64][]string{7001: {amsi}, 7003: {asr}}
	for rec := uint64(7001); rec <= 7003; rec++ {
		if !sameIDs(got[rec], want[rec]) {
			t.Errorf("record %d: fired %v, want %v", rec, got[rec], want[rec])
		}
	}
}

func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type detectEvent = detect.Event

// eachEvent reads every event of a fixture file.
func eachEvent(t *testing.T, path string, fn func(ev *detect.Event)) {
	t.Helper()
	f, err := parse.OpenFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	var ev detect.Event
	for {
		err := f.Next(&ev)
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		fn(&ev)
	}
}

// TestNullIsNotEmpty: in Sigma, null means the field is absent (or null)
// and ” the empty string. A firewall rule allowing everything, made in
// mmc.exe with an empty ApplicationPath, must not be taken for the
// "ApplicationPath: null" filter; the svchost.exe rule with an empty path
// is filtered by ” and the rule without ApplicationPath by null.
func TestNullIsNotEmpty(t *testing.T) {
	const id = "cde0a575-7d3d-4a49-9817-b8004a7bf105"
	rs := sigmaHQRules(t, sigma.Options{}, "rules/windows/builtin/firewall_as/win_firewall_as_add_rule.yml")
	got := firingByRecord(t, rs, "testdata/firewall.xml")
	want := map[uint64][]string{8001: {id}}
	for rec := uint64(8001); rec <= 8003; rec++ {
		if !sameIDs(got[rec], want[rec]) {
			t.Errorf("record %d: fired %v, want %v", rec, got[rec], want[rec])
		}
	}
}

// TestPlaceholderWithoutValue: the specification says a tool that cannot
// fill an expand placeholder rejects the rule. SigmaHQ's Zerologon rule
// names the domain controllers' accounts by %DC-MACHINE-NAME%; standing
// for "*", it fired on every computer account an anonymous logon changed.
func TestPlaceholderWithoutValue(t *testing.T) {
	const id = "dd7876d8-0f09-11eb-adc1-0242ac120002"
	const file = "rules-placeholder/windows/builtin/security/win_security_exploit_cve_2020_1472.yml"
	dir := testdatadir.Shared(t, "sigma")
	res, err := sigma.Load([]string{filepath.Join(dir, file)}, sigma.Filter{}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rules.Len() != 0 || len(res.Refused) != 1 {
		t.Fatalf("loaded %d, refused %v; want the rule refused", res.Rules.Len(), res.Refused)
	}
	var pe *sigma.PlaceholderError
	if !errors.As(res.Refused[0], &pe) || len(pe.Names) != 1 || pe.Names[0] != "DC-MACHINE-NAME" || res.Refused[0].ID != id {
		t.Fatalf("refusal = %v, want rule %s refused for %%DC-MACHINE-NAME%%", res.Refused[0], id)
	}
	if !strings.Contains(res.Refused[0].Error(), "%DC-MACHINE-NAME%") {
		t.Errorf("refusal does not name the placeholder: %v", res.Refused[0])
	}

	rs := sigmaHQRules(t, sigma.Options{Placeholders: map[string][]string{"DC-MACHINE-NAME": {"DC01$", "DC02$"}}}, file)
	got := firingByRecord(t, rs, "testdata/zerologon.xml")
	want := map[uint64][]string{9001: {id}}
	for rec := uint64(9001); rec <= 9002; rec++ {
		if !sameIDs(got[rec], want[rec]) {
			t.Errorf("record %d: fired %v, want %v", rec, got[rec], want[rec])
		}
	}
}

// TestPlaceholderNamesAll: a rule with several placeholders without
// values names them all, once each.
func TestPlaceholderNamesAll(t *testing.T) {
	rules, errs := sigma.Parse([]byte(`title: t
id: 00000000-0000-0000-0000-0000000000aa
logsource: {product: windows, category: process_creation}
detection:
    a:
        User|expand: ['%admins%', '%ops%\x']
    b:
        Computer|expand: '%admins%'
    c:
        Image|expand: '%known%'
    condition: a and not b and not c
`), "t.yml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	_, cerrs := sigma.Compile(rules, sigma.Options{Placeholders: map[string][]string{"known": {`C:\x.exe`}}})
	var pe *sigma.PlaceholderError
	if len(cerrs) != 1 || !errors.As(cerrs[0], &pe) || strings.Join(pe.Names, ",") != "admins,ops" {
		t.Fatalf("errors %v, want one naming admins and ops", cerrs)
	}
}

func TestLoadPlaceholders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ph, err := sigma.LoadPlaceholders(write("ok.yml", "\"%DomainControllers%\": ['DC01$', DC02$]\nservers: srv-1\nports: [445, 139]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ph["DomainControllers"], ",") != "DC01$,DC02$" || strings.Join(ph["servers"], ",") != "srv-1" || strings.Join(ph["ports"], ",") != "445,139" {
		t.Errorf("placeholders = %v", ph)
	}
	for name, text := range map[string]string{"empty.yml": "admins: []\n", "null.yml": "admins:\n", "map.yml": "admins: {a: b}\n", "list.yml": "- a\n"} {
		if _, err := sigma.LoadPlaceholders(write(name, text)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
	}
}

// TestLinuxSyslog: a syslog line is a Linux event whose service is its
// program, as SigmaHQ's Linux rules select them: the sshd rule fires on
// OpenSSH's "Corrupted MAC on input" (also from sshd-session, OpenSSH
// 9.8's per-connection process), the cron rule on crontab's REPLACE, the
// syslog-service rule on named's denied zone transfer, and a rule for
// product linux alone on the kernel's promiscuous-mode line.
func TestLinuxSyslog(t *testing.T) {
	const (
		sshd  = "e76b413a-83d0-4b94-8e4c-85db4a5b8bdc"
		cron  = "af202fd3-7bff-4212-a25a-fb34606cfcbe"
		named = "c8e35e96-19ce-4f16-aeb6-fd5588dc5365"
		susp  = "f64b6e9a-5d9d-48a5-8289-e1dd2b3876e1"
	)
	rs := sigmaHQRules(t, sigma.Options{},
		"rules/linux/builtin/sshd/lnx_sshd_susp_ssh.yml",
		"rules/linux/builtin/cron/lnx_cron_crontab_file_modification.yml",
		"rules/linux/builtin/syslog/lnx_syslog_susp_named.yml",
		"rules/linux/builtin/lnx_shell_susp_log_entries.yml")
	got := firingByRecord(t, rs, "testdata/linux_auth.log")
	want := map[uint64][]string{2: {sshd}, 4: {cron}, 5: {named}, 6: {sshd}, 7: {susp}}
	for line := uint64(1); line <= 8; line++ {
		if !sameIDs(got[line], want[line]) {
			t.Errorf("line %d: fired %v, want %v", line, got[line], want[line])
		}
	}
	// The hunt summary counts the same rules as applying.
	if n := rs.CountApplicableOther("linux", "sshd", ""); n != 3 {
		t.Errorf("rules applying to sshd lines = %d, want 3 (sshd, syslog, and the rule for all of linux)", n)
	}
}

// TestLinuxAuditd: audit records, written by auditd or forwarded through
// syslog, are product linux, service auditd, under auditd's field names.
func TestLinuxAuditd(t *testing.T) {
	const id = "a5b977d6-8a81-4475-91b9-49dbfcd941f7"
	rs := sigmaHQRules(t, sigma.Options{}, "rules/linux/auditd/execve/lnx_auditd_chattr_immutable_removal.yml")
	got := firingByRecord(t, rs, "testdata/linux_audit.log")
	want := map[uint64][]string{2: {id}, 3: {id}}
	for line := uint64(1); line <= 4; line++ {
		if !sameIDs(got[line], want[line]) {
			t.Errorf("line %d: fired %v, want %v", line, got[line], want[line])
		}
	}
}
