package format

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"vigil/internal/detect/ioc"
)

func TestReadCSV(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []Indicator
		problems []Problem
		err      bool
	}{
		{name: "no header, comment with commas",
			in:   "ip,203.0.113.7,C2, seen twice\n# comment\n\ndomain,Evil.Example.\nsha256,E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n",
			want: []Indicator{{Kind: KindIP, Value: "203.0.113.7", Comment: "C2, seen twice"}, {Kind: KindDomain, Value: "evil.example"}, {Kind: KindSHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}},
		{name: "bad rows are problems, the rest is read",
			in:       "ip,1.2.3.4\nip,not-an-ip\nbanana,x\nip\nurl,\"http://a.example/?q=1,2\",\"quoted, comment\"\n",
			want:     []Indicator{{Kind: KindIP, Value: "1.2.3.4"}, {Kind: KindURL, Value: "http://a.example/?q=1,2", Comment: "quoted, comment"}},
			problems: []Problem{{Line: 2, Field: "value"}, {Line: 3, Field: "type"}, {Line: 4, Field: "value"}}},
		{name: "header with all columns, any order",
			in: "\ufeffvalue,type,tlp,confidence,source,first_seen,last_seen,valid_until,tags,report,unit,action,severity,reason,comment,extra\n" +
				"10.1.2.3/8,cidr,TLP:RED,80,CERT-X,01/11/2026,2026-11-02,31/12/2026,a;b|c,BC-11,BHXH-HN,scan,high,C2,note,ignored\n" +
				"host-1,hostname,white,,,,,2026-12-31T00:00:00Z,,,,Quét mã độc (scan),cao,,,\n" +
				"x.example,domain,purple,,,,,,,,,,,,,\n" +
				"y.example,domain,,101,,,,,,,,,,,,\n" +
				"z.example,domain,,,,32/13/2026,,,,,,,,,,\n" +
				"w.example,domain,,,,,,,,,,fly,,,,\n" +
				"v.example,domain,,,,,,,,,,,dire,,,\n",
			want: []Indicator{
				{Kind: KindIP, Value: "10.0.0.0/8", TLP: TLPRed, Confidence: 80, Source: "CERT-X",
					FirstSeen: time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC), LastSeen: time.Date(2026, 11, 1, 17, 0, 0, 0, time.UTC),
					ValidUntil: time.Date(2026, 12, 31, 16, 59, 59, 0, time.UTC), Tags: []string{"a", "b", "c"}, Report: "BC-11",
					Unit: "BHXH-HN", Action: ActionScan, Severity: "high", Reason: "C2", Comment: "note"},
				{Kind: KindHostname, Value: "host-1", TLP: TLPClear, ValidUntil: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Action: ActionScan, Severity: "high"},
			},
			problems: []Problem{{Line: 4, Field: "tlp"}, {Line: 5, Field: "confidence"}, {Line: 6, Field: "first_seen"}, {Line: 7, Field: "action"}, {Line: 8, Field: "severity"}}},
		{name: "MISP CSV export header", in: "uuid,event_id,category,type,value,comment,to_ids,date\nu1,1,Network activity,ip-dst,198.51.100.9,c,1,20261101\n",
			want: []Indicator{{Kind: KindIP, Value: "198.51.100.9", Comment: "c"}}},
		{name: "not our columns", in: "name,address,os\nh1,10.0.0.1,linux\n", err: true},
		{name: "header without value", in: "type,comment\nip,x\n", err: true},
		{name: "formula neutralised on export", in: "account,'-admin,'=cmd\n", want: []Indicator{{Kind: KindAccount, Value: "-admin", Comment: "=cmd"}}},
		{name: "empty", in: ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := ReadAs("csv", "l.csv", strings.NewReader(c.in), ReadOptions{Source: "IT Center"})
			if c.err {
				if err == nil {
					t.Fatalf("no error; %+v", res)
				}
				if !strings.Contains(err.Error(), "l.csv:1") {
					t.Errorf("error does not name line 1: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Indicators) != len(c.want) {
				t.Fatalf("indicators %+v, want %+v; problems %+v", res.Indicators, c.want, res.Skipped)
			}
			for i, w := range c.want {
				if w.Source == "" {
					w.Source = "IT Center"
				}
				if w.TLP == "" {
					w.TLP = TLPAmber
				}
				if w.Confidence == 0 {
					w.Confidence = 50
				}
				if !equalIndicator(res.Indicators[i], w) {
					t.Errorf("indicator %d\n got %+v\nwant %+v", i, res.Indicators[i], w)
				}
			}
			if len(res.Skipped) != len(c.problems) {
				t.Fatalf("problems %+v, want %+v", res.Skipped, c.problems)
			}
			for i, w := range c.problems {
				g := res.Skipped[i]
				if g.File != "l.csv" || g.Line != w.Line || g.Field != w.Field || g.Reason == "" || g.Format == "" {
					t.Errorf("problem %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestCSVRoundTrip(t *testing.T) {
	inds := sampleIndicators()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, inds); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `"type","value","comment","source","confidence","tlp","valid_until","tags","unit","action","severity","reason"`) {
		t.Errorf("header: %.120s", buf.String())
	}
	if !strings.Contains(buf.String(), `"'=HYPERLINK(""x"")"`) || !strings.Contains(buf.String(), `"'-admin"`) {
		t.Errorf("formulas not neutralised:\n%s", buf.String())
	}
	if Detect("x.csv", buf.Bytes()) != "csv" || Detect("x", buf.Bytes()) != "csv" {
		t.Error("Detect does not see our CSV")
	}
	res, err := Read("out.csv", bytes.NewReader(buf.Bytes()), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 || len(res.Indicators) != len(inds) {
		t.Fatalf("read back %d indicators, problems %+v", len(res.Indicators), res.Skipped)
	}
	for i, w := range inds {
		// The CSV has no times but valid_until, and no report.
		w.FirstSeen, w.LastSeen, w.CreatedAt, w.UpdatedAt, w.Report, w.Revoked = time.Time{}, time.Time{}, time.Time{}, time.Time{}, "", false
		if !equalIndicator(res.Indicators[i], w) {
			t.Errorf("indicator %d\n got %+v\nwant %+v", i, res.Indicators[i], w)
		}
	}
	// `vigil detect --ioc` reads the same file.
	b := ioc.NewBuilder()
	st, err := b.AddCSV(bytes.NewReader(buf.Bytes()), "out.csv")
	if err != nil {
		t.Fatal(err)
	}
	// "-admin" is written '-admin (neutralised), which ioc takes as is.
	if st.Added != len(inds) || st.Bad != 0 {
		t.Fatalf("ioc read %+v", st)
	}
	set := b.Build()
	if _, ok := set.LookupIPString("203.0.113.7"); !ok {
		t.Error("ioc set lacks 203.0.113.7")
	}
	if _, ok := set.LookupIPString("10.9.9.9"); !ok {
		t.Error("ioc set lacks 10.0.0.0/8")
	}
	if _, ok := set.LookupHash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); !ok {
		t.Error("ioc set lacks the SHA-256")
	}
}

func TestReadPaste(t *testing.T) {
	in := "203.0.113[.]7, 198.51.100.0/24\thxxps://evil[.]example/path\n" +
		"# a comment\n" +
		"evil(.)example bad[@]evil.example\n" +
		"d41d8cd98f00b204e9800998ecf8427e da39a3ee5e6b4b0d3255bfef95601890afd80709\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
		"account:SVC_Backdoor hostname:KALI-BOX 2001:db8::1 [2001:db8::2] fe80::1\n" +
		"junk!! 12345\n" +
		"www.evil.example/dl?x=1\n"
	res, err := Read("paste", strings.NewReader(in), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{KindIP, "203.0.113.7"}, {KindIP, "198.51.100.0/24"}, {KindURL, "https://evil.example/path"},
		{KindDomain, "evil.example"}, {KindEmail, "bad@evil.example"}, {KindMD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{KindSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}, {KindSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{KindAccount, "svc_backdoor"}, {KindHostname, "kali-box"}, {KindIP, "2001:db8::1"}, {KindIP, "2001:db8::2"}, {KindIP, "fe80::1"},
		{KindURL, "www.evil.example/dl?x=1"}}
	if res.Format != "paste" || len(res.Indicators) != len(want) {
		t.Fatalf("%s %+v", res.Format, res.Indicators)
	}
	for i, w := range want {
		if g := res.Indicators[i]; g.Kind != w[0] || g.Value != w[1] || g.TLP != TLPAmber || g.Confidence != 50 {
			t.Errorf("%d: %+v, want %v", i, g, w)
		}
	}
	if len(res.Skipped) != 2 || res.Skipped[0].Line != 7 || res.Skipped[1].Line != 7 || res.Skipped[0].Reason != `cannot tell what "junk!!" is` {
		t.Errorf("problems %+v", res.Skipped)
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct{ name, head, want string }{
		{"a.json", `{"type": "bundle", "id": "bundle--1", "objects": []}`, "stix"},
		{"a.json", `{"id":"bundle--1","objects":[{"type":"indicator"}]}`, "stix"},
		{"a", `  {"type":"indicator","spec_version":"2.1"}`, "stix"},
		{"e.json", `{"Event": {"info": "x", "Attribute": []}}`, "misp"},
		{"e.json", `{"response": [{"Event": {}}]}`, "misp"},
		{"e.json", `{"info": "x", "Attribute": []}`, "misp"},
		{"manifest.json", `{"5f1e2c3d-0000-4000-8000-000000000001": {"info": "x", "Orgc": {"name": "o"}, "timestamp": "1"}}`, "misp-manifest"},
		{"a.csv", "type,value,comment\nip,1.2.3.4,x\n", "csv"},
		{"a.txt", "ip,1.2.3.4\n", "csv"},
		{"a.txt", "# header\nsha256,abc\n", "csv"},
		{"a.txt", "1.2.3.4, 5.6.7.8\n", "paste"},
		{"a.txt", "1.2.3.4\nevil.example\n", "paste"},
		{"a.xlsx", "PK\x03\x04rest", "xlsx"},
		{"a.bin", "PK\x03\x04rest", "xlsx"},
		{"a.csv", "", "csv"},
	} {
		if got := Detect(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Detect(%q, %.40q) = %s, want %s", c.name, c.head, got, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		end  bool
		want time.Time
		ok   bool
	}{
		{"31/12/2026", false, time.Date(2026, 12, 30, 17, 0, 0, 0, time.UTC), true},
		{"31/12/2026", true, time.Date(2026, 12, 31, 16, 59, 59, 0, time.UTC), true},
		{"2026-02-28", false, time.Date(2026, 2, 27, 17, 0, 0, 0, time.UTC), true},
		{"29/02/2026", false, time.Time{}, false},
		{"29/02/2028", false, time.Date(2028, 2, 28, 17, 0, 0, 0, time.UTC), true},
		{"1/2/2026", false, time.Date(2026, 1, 31, 17, 0, 0, 0, time.UTC), true},
		{"2026-11-01T08:00:00Z", true, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), true},
		{"2026-11-01 15:00:00", false, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), true},
		{"00/01/2026", false, time.Time{}, false},
		{"12/13/2026", false, time.Time{}, false},
		{"yesterday", false, time.Time{}, false},
	} {
		got, ok := parseDate(c.in, c.end)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("parseDate(%q, %v) = %v, %v; want %v, %v", c.in, c.end, got, ok, c.want, c.ok)
		}
		if ok {
			if back, _ := parseDate(formatDate(got, c.end), c.end); !back.Equal(got) {
				t.Errorf("formatDate(%v) = %q reads back as %v", got, formatDate(got, c.end), back)
			}
		}
	}
}

func TestTestdataFiles(t *testing.T) {
	res := readFile(t, "testdata/indicators.csv", ReadOptions{})
	if res.Format != "csv" || len(res.Indicators) != 4 || len(res.Skipped) != 1 || res.Skipped[0].Line != 6 {
		t.Errorf("indicators.csv: %+v", res)
	}
	res = readFile(t, "testdata/paste.txt", ReadOptions{})
	if res.Format != "paste" || len(res.Indicators) != 6 || len(res.Skipped) != 1 || res.Skipped[0].Line != 6 {
		t.Errorf("paste.txt: %+v", res)
	}
}
