package sigma

import (
	"strings"
	"testing"

	"vigil/internal/detect"
)

func sysmon1(fields ...string) *detect.Event {
	ev := &detect.Event{}
	ev.Add("Channel", "Microsoft-Windows-Sysmon/Operational")
	ev.Add("EventID", "1")
	ev.Add("Provider_Name", "Microsoft-Windows-Sysmon")
	for i := 0; i+1 < len(fields); i += 2 {
		ev.Add(fields[i], fields[i+1])
	}
	return ev
}

const header = `title: t
id: 00000000-0000-0000-0000-000000000001
level: high
logsource:
    product: windows
    category: process_creation
detection:
`

func compileOne(t *testing.T, detection string) *RuleSet {
	t.Helper()
	rules, errs := Parse([]byte(header+detection), "test.yml")
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	rs, cerrs := Compile(rules, Options{Placeholders: map[string][]string{"admins": {"alice", "bob*"}}})
	if len(cerrs) > 0 {
		t.Fatalf("compile: %v", cerrs[0])
	}
	return rs
}

func TestModifiers(t *testing.T) {
	tests := []struct {
		name, detection string
		ev              *detect.Event
		want            bool
	}{
		{"eq case-insensitive", "  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel", sysmon1("Image", `c:\windows\CMD.EXE`), true},
		{"eq differs", "  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel", sysmon1("Image", `c:\windows\cmd.exe2`), false},
		{"contains", "  sel:\n    CommandLine|contains: ' -enc '\n  condition: sel", sysmon1("CommandLine", "powershell -ENC aGVsbG8="), true},
		{"startswith", "  sel:\n    CommandLine|startswith: 'net '\n  condition: sel", sysmon1("CommandLine", "NET user"), true},
		{"endswith", "  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel", sysmon1("Image", `C:\Windows\System32\whoami.exe`), true},
		{"all", "  sel:\n    CommandLine|contains|all: ['a1', 'b2']\n  condition: sel", sysmon1("CommandLine", "x b2 y a1"), true},
		{"all missing one", "  sel:\n    CommandLine|contains|all: ['a1', 'b2']\n  condition: sel", sysmon1("CommandLine", "x b2 y"), false},
		{"wildcard glob", "  sel:\n    CommandLine: 'cmd*/c*whoami'\n  condition: sel", sysmon1("CommandLine", "cmd.exe /c echo && whoami"), true},
		{"single wildcard", "  sel:\n    CommandLine: 'a?c'\n  condition: sel", sysmon1("CommandLine", "abc"), true},
		{"escaped wildcard", "  sel:\n    CommandLine: 'a\\*c'\n  condition: sel", sysmon1("CommandLine", "abc"), false},
		{"escaped wildcard literal", "  sel:\n    CommandLine: 'a\\*c'\n  condition: sel", sysmon1("CommandLine", "a*c"), true},
		{"cased", "  sel:\n    CommandLine|contains|cased: 'Secret'\n  condition: sel", sysmon1("CommandLine", "secret"), false},
		{"cased ok", "  sel:\n    CommandLine|contains|cased: 'Secret'\n  condition: sel", sysmon1("CommandLine", "a Secret"), true},
		{"re", "  sel:\n    CommandLine|re: '\\d{3}-\\d{2}'\n  condition: sel", sysmon1("CommandLine", "id 123-45"), true},
		{"re case-sensitive", "  sel:\n    CommandLine|re: 'ABC'\n  condition: sel", sysmon1("CommandLine", "abc"), false},
		{"re short literal upper", "  sel:\n    CommandLine|re: 'A`B'\n  condition: sel", sysmon1("CommandLine", "xA`By"), true},
		{"re too short", "  sel:\n    CommandLine|re: '\\s[a-f0-9]{64}'\n  condition: sel", sysmon1("CommandLine", " abc"), false},
		{"re i", "  sel:\n    CommandLine|re|i: 'ABC'\n  condition: sel", sysmon1("CommandLine", "abc"), true},
		{"re s", "  sel:\n    CommandLine|re|s: 'a.b'\n  condition: sel", sysmon1("CommandLine", "a\nb"), true},
		{"re m", "  sel:\n    CommandLine|re|m: '^b$'\n  condition: sel", sysmon1("CommandLine", "a\nb\nc"), true},
		{"long run", "  sel:\n    CommandLine|re: '.{10,}'\n  condition: sel", sysmon1("CommandLine", "0123456789"), true},
		{"long run short", "  sel:\n    CommandLine|re: '.{10,}'\n  condition: sel", sysmon1("CommandLine", "01234\n56789"), false},
		{"base64", "  sel:\n    CommandLine|base64|contains: 'http://'\n  condition: sel", sysmon1("CommandLine", "x aHR0cDovLw== y"), true},
		{"base64offset", "  sel:\n    CommandLine|base64offset|contains: 'IEX'\n  condition: sel", sysmon1("CommandLine", "-e YWJJRVg="), true},
		{"wide base64offset", "  sel:\n    CommandLine|wide|base64offset|contains: 'ping'\n  condition: sel", sysmon1("CommandLine", "-enc cABpAG4AZwA="), true},
		{"windash", "  sel:\n    CommandLine|windash|contains: ' -exec '\n  condition: sel", sysmon1("CommandLine", "ps /exec bypass"), true},
		{"windash en dash", "  sel:\n    CommandLine|windash|contains: ' -exec '\n  condition: sel", sysmon1("CommandLine", "ps \u2013exec bypass"), true},
		{"cidr", "  sel:\n    CommandLine|cidr: '10.0.0.0/8'\n  condition: sel", sysmon1("CommandLine", "10.2.3.4"), true},
		{"cidr v6", "  sel:\n    CommandLine|cidr: 'fe80::/10'\n  condition: sel", sysmon1("CommandLine", "fe80::1"), true},
		{"cidr miss", "  sel:\n    CommandLine|cidr: '10.0.0.0/8'\n  condition: sel", sysmon1("CommandLine", "11.2.3.4"), false},
		{"exists", "  sel:\n    ParentImage|exists: true\n  condition: sel", sysmon1("ParentImage", ""), true},
		{"not exists", "  sel:\n    ParentImage|exists: false\n  condition: sel", sysmon1("Image", "x"), true},
		{"null missing", "  sel:\n    ParentImage: null\n  condition: sel", sysmon1("Image", "x"), true},
		{"null present", "  sel:\n    ParentImage: null\n  condition: sel", sysmon1("ParentImage", "x"), false},
		{"null is not empty", "  sel:\n    ParentImage: null\n  condition: sel", sysmon1("ParentImage", ""), false},
		{"null in a list", "  sel:\n    ParentImage: [null, '']\n  condition: sel", sysmon1("ParentImage", ""), true},
		{"null in a list missing", "  sel:\n    ParentImage: [null, '']\n  condition: sel", sysmon1("Image", "x"), true},
		{"gt", "  sel:\n    ProcessId|gt: 100\n  condition: sel", sysmon1("ProcessId", "101"), true},
		{"lte", "  sel:\n    ProcessId|lte: 100\n  condition: sel", sysmon1("ProcessId", "101"), false},
		{"fieldref", "  sel:\n    ParentImage|fieldref: Image\n  condition: sel", sysmon1("Image", "A.exe", "ParentImage", "a.EXE"), true},
		{"fieldref endswith", "  sel:\n    CommandLine|fieldref|endswith: Image\n  condition: sel", sysmon1("Image", "a.exe", "CommandLine", "run a.exe"), true},
		{"expand", "  sel:\n    User|expand: '%admins%'\n  condition: sel", sysmon1("User", "BOBBY"), true},
		{"expand case", "  sel:\n    User|expand: '%ADMINS%'\n  condition: sel", sysmon1("User", "alice"), true},
		{"expand in text", "  sel:\n    User|expand: 'corp\\%admins%'\n  condition: sel", sysmon1("User", "CORP\\alice"), true},
		{"expand other", "  sel:\n    User|expand: '%admins%'\n  condition: sel", sysmon1("User", "carol"), false},
		{"number", "  sel:\n    LogonType: 3\n  condition: sel", sysmon1("LogonType", "3"), true},
		{"list or", "  sel:\n    Image|endswith: ['\\a.exe', '\\b.exe']\n  condition: sel", sysmon1("Image", `C:\b.exe`), true},
		{"keywords", "  kw:\n    - 'mimikatz'\n  condition: kw", sysmon1("CommandLine", "run MimiKatz now"), true},
		{"keywords non-ascii", "  kw:\n    - 'привет'\n  sel:\n    Image: x\n  condition: kw or sel", sysmon1("Other", "ПРИВЕТ мир"), true},
		{"keywords miss", "  kw:\n    - 'mimikatz'\n  condition: kw", sysmon1("CommandLine", "run now"), false},
		{"unicode fold", "  sel:\n    CommandLine|contains: 'ПРИВЕТ'\n  condition: sel", sysmon1("CommandLine", "x привет"), true},
		{"map list", "  sel:\n    - Image: a\n    - Image: b\n  condition: sel", sysmon1("Image", "B"), true},
		{"field name with spaces", "  sel:\n    SourceName: 'AMSI'\n  condition: sel", sysmon1("Source Name", "AMSI"), true},
		{"field name with spaces other", "  sel:\n    SourceName: 'AMSI'\n  condition: sel", sysmon1("Source Names", "AMSI"), false},
		{"field name case", "  sel:\n    CommandLine|contains: 'x'\n  condition: sel", sysmon1("Commandline", "axb"), true},
		{"empty value", "  sel:\n    CommandLine: ''\n  condition: sel", sysmon1("CommandLine", ""), true},
		{"empty value is not missing", "  sel:\n    CommandLine: ''\n  condition: sel", sysmon1("Image", "x"), false},
		{"empty value is not a value", "  sel:\n    CommandLine: ''\n  condition: sel", sysmon1("CommandLine", "x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := compileOne(t, tt.detection)
			got := len(rs.NewMatcher().Match(tt.ev)) > 0
			if got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	det := `  sel_a:
    Image|endswith: '\a.exe'
  sel_b:
    CommandLine|contains: 'bee'
  filter_x:
    User: 'SYSTEM'
  filter_y:
    User: 'root'
`
	a, ab, abSys := sysmon1("Image", `c:\a.exe`), sysmon1("Image", `c:\a.exe`, "CommandLine", "bee"), sysmon1("Image", `c:\a.exe`, "CommandLine", "bee", "User", "system")
	tests := []struct {
		cond string
		ev   *detect.Event
		want bool
	}{
		{"sel_a and sel_b", a, false},
		{"sel_a and sel_b", ab, true},
		{"sel_a or sel_b", a, true},
		{"sel_a and not sel_b", a, true},
		{"1 of sel_*", a, true},
		{"all of sel_*", a, false},
		{"all of sel_*", ab, true},
		{"all of sel_* and not 1 of filter_*", abSys, false},
		{"all of sel_* and not 1 of filter_*", ab, true},
		{"1 of them", a, true},
		{"all of them", ab, false},
		{"not (sel_a and sel_b)", ab, false},
		{"(sel_a or filter_x) and not sel_b", a, true},
		{"not not sel_a", a, true},
	}
	for _, tt := range tests {
		rs := compileOne(t, det+"  condition: "+tt.cond+"\n")
		if got := len(rs.NewMatcher().Match(tt.ev)) > 0; got != tt.want {
			t.Errorf("%q on %v: %v, want %v", tt.cond, tt.ev.Fields, got, tt.want)
		}
	}
}

func TestRouting(t *testing.T) {
	rs := compileOne(t, "  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n")
	m := rs.NewMatcher()
	sec := &detect.Event{}
	sec.Add("Channel", "Security")
	sec.Add("EventID", "4688")
	sec.Add("NewProcessName", `C:\Windows\System32\cmd.exe`)
	if len(m.Match(sec)) != 1 {
		t.Errorf("Security 4688 with NewProcessName not matched as process_creation")
	}
	fwd := sysmon1("Image", `C:\Windows\System32\cmd.exe`)
	fwd.Set("Channel", "ForwardedEvents")
	if len(m.Match(fwd)) != 1 {
		t.Errorf("forwarded Sysmon event not routed like Sysmon")
	}
	other := sysmon1("Image", `C:\Windows\System32\cmd.exe`)
	other.Set("EventID", "3")
	if len(m.Match(other)) != 0 {
		t.Errorf("Sysmon 3 matched a process_creation rule")
	}
}

func TestRefused(t *testing.T) {
	bad := []struct{ detection, want string }{
		{"  sel:\n    Image|frobnicate: x\n  condition: sel", "unsupported modifier"},
		{"  sel:\n    Image: x\n  condition: sel | count() > 5", "aggregation"},
		{"  sel:\n    Image: x\n  condition: nosuch", "unknown search"},
		{"  sel:\n    Image|re: '(?<=x)y'\n  condition: sel", "regular expression"},
		{"  sel:\n    Image: x\n  condition: sel and (", "condition"},
	}
	for _, tt := range bad {
		rules, errs := Parse([]byte(header+tt.detection), "bad.yml")
		if len(errs) > 0 {
			continue
		}
		_, cerrs := Compile(rules, Options{})
		if len(cerrs) != 1 || !strings.Contains(cerrs[0].Error(), tt.want) || !strings.Contains(cerrs[0].Error(), "00000000-0000-0000-0000-000000000001") {
			t.Errorf("%q: errors %v, want one naming the rule and %q", tt.detection, cerrs, tt.want)
		}
	}
}

func TestBase64Offsets(t *testing.T) {
	got := base64Offsets("/bin/bash")
	want := []string{"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("base64offset = %v, want %v", got, want)
	}
}

func TestGlob(t *testing.T) {
	p := stringPattern(parseSigmaString("a*b?c*"), false)
	for s, want := range map[string]bool{"abxc": true, "aXXbyc": true, "abc": false, "ab€c---": true} {
		if got := globMatch(p.glob, s); got != want {
			t.Errorf("glob %q: %v, want %v", s, got, want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	rs := compileOne(t, "  sel:\n    CommandLine|contains: 'x'\n    Image|re: 'a+'\n  condition: sel")
	m := rs.NewMatcher()
	ev := sysmon1("CommandLine", "XYZ Ä", "Image", "aaa")
	m.Match(ev)
	if n := testing.AllocsPerRun(100, func() { m.Match(ev) }); n != 0 {
		t.Errorf("Match allocates %v times per event", n)
	}
}

func TestUnknownLogsource(t *testing.T) {
	src := strings.Replace(header, "category: process_creation", "service: brand-new-service", 1) + "  sel:\n    EventID: 77\n    Data: x\n  condition: sel\n"
	rules, _ := Parse([]byte(src), "new.yml")
	rs, errs := Compile(rules, Options{})
	if len(errs) != 0 || rs.Len() != 1 || len(rs.Warnings) != 1 {
		t.Fatalf("errs %v, loaded %d, warnings %v", errs, rs.Len(), rs.Warnings)
	}
	ev := &detect.Event{}
	ev.Add("Channel", "Microsoft-Windows-Brand-New/Operational")
	ev.Add("EventID", "77")
	ev.Add("Data", "X")
	if len(rs.NewMatcher().Match(ev)) != 1 {
		t.Errorf("rule with an unknown service did not fire")
	}
}

func TestExplain(t *testing.T) {
	rs := compileOne(t, "  sel:\n    Image|endswith: '\\cmd.exe'\n    CommandLine|contains: whoami\n  filter:\n    User: SYSTEM\n  condition: sel and not filter")
	m := rs.NewMatcher()
	ev := sysmon1("Image", `C:\cmd.exe`, "CommandLine", "cmd /c whoami", "User", "bob")
	got := m.Match(ev)
	if len(got) != 1 {
		t.Fatalf("no match")
	}
	f := m.Explain(got[0], ev)
	if len(f) != 2 || f[0].Name != "Image" && f[1].Name != "Image" {
		t.Errorf("Explain = %v, want Image and CommandLine", f)
	}
}
