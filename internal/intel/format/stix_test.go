package format

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readFile(t *testing.T, path string, opt ReadOptions) *Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(filepath.Base(path), f, opt)
	if err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return res
}

func find(res *Result, kind, value string) *Indicator {
	for i := range res.Indicators {
		if res.Indicators[i].Kind == kind && res.Indicators[i].Value == value {
			return &res.Indicators[i]
		}
	}
	return nil
}

func TestReadSTIX21(t *testing.T) {
	res := readFile(t, "testdata/bundle21.json", ReadOptions{Source: "IT Center", Report: "BC-11/2026"})
	if res.Format != "stix2.1" || res.ObjectsRead != 13 {
		t.Errorf("format %s, objects %d", res.Format, res.ObjectsRead)
	}
	c2 := find(res, KindIP, "203.0.113.7")
	if c2 == nil {
		t.Fatalf("no C2 address in %+v", res.Indicators)
	}
	want := Indicator{Kind: KindIP, Value: "203.0.113.7", Source: "Example CERT", Confidence: 85, TLP: TLPRed,
		FirstSeen: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Tags: []string{"c2", "malicious-activity", "Copyright Example CERT"}, Report: "CERT-X: ADV-2026-11 https://cert.example/adv",
		Comment: "C2 server: Beacons every 60 s", STIXID: "indicator--00000000-0000-4000-8000-000000000001",
		CreatedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	if !equalIndicator(*c2, want) {
		t.Errorf("C2 indicator\n got %+v\nwant %+v", *c2, want)
	}
	for _, kv := range [][2]string{{KindDomain, "evil.example"}, {KindDomain, "o'brien.example"},
		{KindSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, {KindIP, "192.0.2.0/24"}, {KindAccount, "svc_backdoor"}} {
		ind := find(res, kv[0], kv[1])
		if ind == nil {
			t.Errorf("no %s %s", kv[0], kv[1])
			continue
		}
		if ind.Source != "IT Center" || ind.Report != "BC-11/2026" {
			t.Errorf("%s: defaults not applied: %+v", kv[1], ind)
		}
	}
	if d := find(res, KindDomain, "evil.example"); d != nil && (d.TLP != TLPGreen || d.STIXID != "" || d.Confidence != 50) {
		t.Errorf("domain from a three-indicator pattern: %+v", d)
	}
	if a := find(res, KindAccount, "svc_backdoor"); a != nil && (!a.FirstSeen.Equal(time.Date(2026, 10, 30, 1, 0, 0, 0, time.UTC)) || !a.LastSeen.Equal(time.Date(2026, 10, 31, 1, 0, 0, 0, time.UTC))) {
		t.Errorf("account did not take its observed-data's times: %+v", a)
	}
	if n := len(res.Indicators); n != 6 {
		t.Errorf("%d indicators, want 6: %+v", n, res.Indicators)
	}
	wantProblems := []Problem{
		{File: "bundle21.json", Object: "indicator--00000000-0000-4000-8000-000000000003", Field: "pattern"},
		{File: "bundle21.json", Object: "weird-thing--00000000-0000-4000-8000-00000000000a", Field: "type", Reason: `unknown object type "weird-thing"`},
	}
	if len(res.Skipped) != len(wantProblems) {
		t.Fatalf("problems %+v", res.Skipped)
	}
	for i, w := range wantProblems {
		g := res.Skipped[i]
		if g.File != w.File || g.Object != w.Object || g.Field != w.Field || (w.Reason != "" && g.Reason != w.Reason) {
			t.Errorf("problem %d = %+v, want %+v", i, g, w)
		}
	}
	if !strings.Contains(res.Skipped[0].Reason, "bad pattern at character") {
		t.Errorf("pattern problem reads %q", res.Skipped[0].Reason)
	}
	// yara indicator, process:pid comparison, malware, relationship, x-acme, identity, 2 markings, observed-data
	if res.NotIndicators < 7 {
		t.Errorf("not indicators = %d", res.NotIndicators)
	}
}

func equalIndicator(a, b Indicator) bool {
	return a.Kind == b.Kind && a.Value == b.Value && a.Source == b.Source && a.Confidence == b.Confidence && a.TLP == b.TLP &&
		a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen) && a.ValidUntil.Equal(b.ValidUntil) &&
		slices.Equal(a.Tags, b.Tags) && a.Report == b.Report && a.Comment == b.Comment && a.STIXID == b.STIXID &&
		a.Revoked == b.Revoked && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.Unit == b.Unit && a.Action == b.Action && a.Severity == b.Severity && a.Reason == b.Reason
}

func TestReadSTIX20(t *testing.T) {
	res := readFile(t, "testdata/bundle20.json", ReadOptions{})
	if res.Format != "stix2.0" {
		t.Errorf("format %s", res.Format)
	}
	for _, kv := range [][2]string{{KindURL, "http://evil.example/x.exe"}, {KindSHA256, strings.Repeat("a", 64)},
		{KindMD5, "d41d8cd98f00b204e9800998ecf8427e"}, {KindEmail, "phish@evil.example"}} {
		ind := find(res, kv[0], kv[1])
		if ind == nil {
			t.Errorf("no %s %s in %+v", kv[0], kv[1], res.Indicators)
			continue
		}
		if ind.TLP == "" || ind.Confidence != 50 {
			t.Errorf("%+v", ind)
		}
	}
	if u := find(res, KindURL, "http://evil.example/x.exe"); u != nil && (u.TLP != TLPClear || u.Comment != "Bad URL") {
		t.Errorf("url %+v", u)
	}
	if e := find(res, KindEmail, "phish@evil.example"); e != nil && (e.TLP != TLPAmber || e.LastSeen.IsZero()) {
		t.Errorf("email %+v", e)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Field != "value" || res.Skipped[0].Object != "observed-data--10000000-0000-4000-8000-000000000002" {
		t.Errorf("problems %+v", res.Skipped)
	}
}

func TestReadSTIXSingleObject(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{`{"type":"indicator","spec_version":"2.1","id":"indicator--1","pattern":"[url:value = 'http://a.example/']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, 1},
		{`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":"ipv4-addr","value":"10.0.0.1"}}}`, 1},
		{`{"type":"ipv6-addr","id":"ipv6-addr--1","value":"2001:db8::1"}`, 1},
		{`{"type":"bundle","id":"bundle--1"}`, 0},
	} {
		res, err := ReadAs("stix", "x.json", strings.NewReader(c.in), ReadOptions{})
		if err != nil || len(res.Indicators) != c.want {
			t.Errorf("%s: %v %+v", c.in, err, res)
		}
	}
	for _, bad := range []string{``, `[]`, `{"objects":[{"type":"indicator"}`, `{"a":1}`, `{"type":"bundle","objects":[1,2]}x`} {
		res, err := ReadAs("stix", "x.json", strings.NewReader(bad), ReadOptions{})
		if err == nil && len(res.Skipped) == 0 {
			t.Errorf("%q: no error and no problem: %+v", bad, res)
		}
	}
}

func TestReadSTIXCap(t *testing.T) {
	f, _ := os.ReadFile("testdata/bundle21.json")
	if _, err := Read("b.json", bytes.NewReader(f), ReadOptions{MaxObjects: 5}); err == nil {
		t.Error("no error over the cap")
	}
	if _, err := Read("b.json", bytes.NewReader(f), ReadOptions{MaxObjects: 13}); err != nil {
		t.Error(err)
	}
}

func TestSharedSTIXSamples(t *testing.T) {
	for _, dir := range []string{"../../../../shared/data/stix/oasis", "../../../../shared/data/stix/oasis/threat-reports", "../../../../shared/data/stix/unit42"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 0 {
			t.Logf("no shared STIX samples in %s: skipped", dir)
			continue
		}
		total, probs := 0, 0
		for _, f := range files {
			res := readFile(t, f, ReadOptions{Source: "test"})
			total += len(res.Indicators)
			probs += len(res.Skipped)
			for _, p := range res.Skipped {
				t.Logf("%s", p.Error())
				if p.Object == "" || p.Field == "" {
					t.Errorf("%s: problem without object or field: %+v", f, p)
				}
			}
			if strings.Contains(dir, "unit42") && res.Format != "stix2.0" {
				t.Errorf("%s: format %s, want stix2.0", f, res.Format)
			}
		}
		t.Logf("%s: %d files, %d indicators, %d problems", dir, len(files), total, probs)
		if total == 0 {
			t.Errorf("%s: no indicator read", dir)
		}
	}
}

func TestSTIXRoundTrip(t *testing.T) {
	inds := sampleIndicators()
	var buf bytes.Buffer
	if err := WriteSTIX(&buf, inds, WriteOptions{Identity: "IT Center", Title: "Danh sách cảnh báo 11/2026"}); err != nil {
		t.Fatal(err)
	}
	res, err := Read("out.json", bytes.NewReader(buf.Bytes()), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 {
		t.Fatalf("problems reading our own bundle: %+v", res.Skipped)
	}
	if len(res.Indicators) != len(inds) {
		t.Fatalf("%d indicators back, want %d", len(res.Indicators), len(inds))
	}
	for i, want := range inds {
		want.STIXID = STIXID(want)
		if want.Source == "" {
			want.Source = "IT Center"
		}
		if !equalIndicator(res.Indicators[i], want) {
			t.Errorf("indicator %d\n got %+v\nwant %+v", i, res.Indicators[i], want)
		}
	}
	// Stable: the same indicators make the same bundle.
	var again bytes.Buffer
	WriteSTIX(&again, inds, WriteOptions{Identity: "IT Center", Title: "Danh sách cảnh báo 11/2026"})
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two exports differ")
	}
}

func TestSTIXIndicator(t *testing.T) {
	ind := Indicator{Kind: KindIP, Value: "203.0.113.7", Source: "IT Center", TLP: TLPAmber, Confidence: 70}
	a, err := STIXIndicator(ind)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := STIXIndicator(ind)
	if !bytes.Equal(a, b) {
		t.Error("not deterministic")
	}
	for _, want := range []string{`"id":"indicator--`, `"spec_version":"2.1"`, `"pattern":"[ipv4-addr:value = '203.0.113.7']"`,
		`"pattern_type":"stix"`, `"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]`, `"confidence":70`} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("%s lacks %s", a, want)
		}
	}
	ind.STIXID = "indicator--11111111-1111-4111-8111-111111111111"
	c, _ := STIXIndicator(ind)
	if !bytes.Contains(c, []byte(ind.STIXID)) {
		t.Errorf("STIXID not kept: %s", c)
	}
	if _, err := STIXIndicator(Indicator{Kind: "nonsense", Value: "x"}); err == nil {
		t.Error("no error for an unknown kind")
	}
}

func sampleIndicators() []Indicator {
	t0 := time.Date(2026, 11, 3, 2, 30, 0, 123456000, time.UTC)
	return []Indicator{
		{Kind: KindIP, Value: "203.0.113.7", Source: "CERT-X", Confidence: 90, TLP: TLPRed, FirstSeen: t0, LastSeen: t0.Add(time.Hour),
			ValidUntil: time.Date(2026, 12, 31, 16, 59, 59, 0, time.UTC), Tags: []string{"c2", "apt"}, Report: "BC-11/2026",
			Comment: "C2 'Tên' \\ máy chủ", CreatedAt: t0, UpdatedAt: t0.Add(time.Minute), Unit: "BHXH-HN", Action: ActionScan, Severity: "critical", Reason: "Máy chủ điều khiển"},
		{Kind: KindIP, Value: "10.0.0.0/8", Confidence: 50, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0},
		{Kind: KindIP, Value: "2001:db8::1", Source: "CERT-X", Confidence: 0, TLP: TLPClear, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Revoked: true},
		{Kind: KindDomain, Value: "evil.example", Source: "CERT-X", Confidence: 60, TLP: TLPGreen, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Action: ActionBlock},
		{Kind: KindURL, Value: "http://evil.example/a?b='c'", Source: "CERT-X", Confidence: 60, TLP: TLPAmberStrict, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0},
		{Kind: KindMD5, Value: "d41d8cd98f00b204e9800998ecf8427e", Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Action: ActionRemoval},
		{Kind: KindSHA1, Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0},
		{Kind: KindSHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0},
		{Kind: KindAccount, Value: `corp\svc_backdoor`, Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Action: ActionDisableAccount},
		{Kind: KindAccount, Value: "-admin", Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Action: ActionPasswordReset},
		{Kind: KindHostname, Value: "kali-box", Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Action: ActionReimage},
		{Kind: KindEmail, Value: "phish@evil.example", Source: "CERT-X", Confidence: 60, TLP: TLPAmber, FirstSeen: t0, CreatedAt: t0, UpdatedAt: t0, Comment: "=HYPERLINK(\"x\")"},
	}
}

func TestReadSTIXWrongTypes(t *testing.T) {
	in := `{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","confidence":"high","pattern":"[url:value = 'http://a.example']"},
	{"type":"indicator","id":"indicator--2","pattern":"[url:value = 'http://b.example']","pattern_type":"stix"}, 5]}`
	res, err := ReadAs("stix", "w.json", strings.NewReader(in), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Indicators) != 1 || len(res.Skipped) != 2 {
		t.Fatalf("%+v", res)
	}
	if p := res.Skipped[0]; p.Object != "indicator--1" || p.Field != "confidence" || p.Reason != "a string where a number is expected" {
		t.Errorf("%+v", p)
	}
	if p := res.Skipped[1]; p.Object != "object 3" || p.Reason != "a number where an object is expected" {
		t.Errorf("%+v", p)
	}
}

// TestRefusalsAreProblems: a whole file refused is a *FileError whose
// Problem has a Format of ReasonFormats (so pages translate it) and whose
// arguments are no Go error text.
func TestRefusalsAreProblems(t *testing.T) {
	for _, c := range []struct {
		format, name, in string
		want             string // the Problem's Format
		field            string
	}{
		{"csv", "wrongcols.csv", "foo,bar\nx,y\n", reasonBadColumnsHeader, ""},
		{"csv", "dup.csv", "type,value,kind\nip,1.2.3.4,ip\n", reasonDuplicateColumn, ""},
		{"csv", "nov.csv", "type,comment\nip,x\n", reasonMissingColumns, ""},
		{"misp", "bad.json", `{"Event":{"info":"x","Attribute":"oops"}}`, reasonWrongType, "Event.Attribute"},
		{"misp", "cut.json", `{"Event":{"info":"x"`, reasonJSONCut, ""},
		{"stix", "syntax.json", `{"type":"bundle","objects":[{"type":}]}`, reasonNotJSON, ""},
		{"stix", "arr.json", `[1]`, reasonNoJSONObject, ""},
		{"stix", "notype.json", `{"id":"x"}`, reasonNoType, ""},
		{"xlsx", "x.xlsx", "PK\x03\x04junk", reasonNotXLSX, ""},
		{"nope", "x", "", reasonUnknownFormat, ""},
	} {
		_, err := ReadAs(c.format, c.name, strings.NewReader(c.in), ReadOptions{})
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v is no FileError", c.name, err)
			continue
		}
		if fe.Format != c.want || fe.File != c.name || fe.Field != c.field || !slices.Contains(ReasonFormats, fe.Format) {
			t.Errorf("%s: %+v", c.name, fe.Problem)
		}
		if strings.Contains(fe.Reason, "json:") || strings.Contains(fe.Reason, "Go ") || strings.Contains(fe.Reason, "format.") {
			t.Errorf("%s: Go text in %q", c.name, fe.Reason)
		}
	}
	_, err := ReadAs("csv", "big.csv", strings.NewReader("ip,1.2.3.4\nip,1.2.3.5\n"), ReadOptions{MaxObjects: 1})
	if !errors.Is(err, ErrTooManyObjects) {
		t.Errorf("cap: %v", err)
	}
	res, err := ReadAs("stix", "p.json", strings.NewReader(`{"type":"indicator","id":"indicator--a","pattern":"[ipv4-addr:value = '1.2.3.4'"}`), ReadOptions{})
	if err != nil || len(res.Skipped) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	if p := res.Skipped[0]; p.Format != reasonBadPattern+patWant || !slices.Contains(ReasonFormats, p.Format) || p.Args[2] != endOfPattern {
		t.Errorf("%+v", p)
	}
}
