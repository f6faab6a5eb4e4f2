package format

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReadMISP(t *testing.T) {
	res := readFile(t, "testdata/misp_event.json", ReadOptions{Source: "IT Center", Report: "ignored"})
	if res.Format != "misp" || res.ObjectsRead != 13 {
		t.Errorf("format %s objects %d", res.Format, res.ObjectsRead)
	}
	want := []Indicator{
		{Kind: KindIP, Value: "203.0.113.9", Comment: "C2", TLP: TLPRed, Tags: []string{"phishing", "c2"}, FirstSeen: time.Date(2026, 10, 30, 1, 0, 0, 0, time.UTC)},
		{Kind: KindIP, Value: "198.51.100.4"},
		{Kind: KindDomain, Value: "evil.example"},
		{Kind: KindIP, Value: "192.0.2.10"},
		{Kind: KindSHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Kind: KindURL, Value: "http://evil.example/login", Tags: []string{"phishing", mispNotForIDS}},
		{Kind: KindAccount, Value: `corp\victim`},
		{Kind: KindEmail, Value: "phish@evil.example", Comment: "phishing mail"},
	}
	if len(res.Indicators) != len(want) {
		t.Fatalf("indicators %+v", res.Indicators)
	}
	created := time.Unix(1793500000, 0).UTC()
	for i, w := range want {
		w.Source, w.Report, w.Confidence = "CERT-X", "Chiến dịch lừa đảo 11/2026", 50
		if w.TLP == "" {
			w.TLP = TLPGreen
		}
		if w.Tags == nil {
			w.Tags = []string{"phishing"}
		}
		w.CreatedAt, w.UpdatedAt = created, created
		if !equalIndicator(res.Indicators[i], w) {
			t.Errorf("indicator %d\n got %+v\nwant %+v", i, res.Indicators[i], w)
		}
	}
	wantProblems := []Problem{
		{Object: "a0000000-0000-4000-8000-000000000007", Field: "value", Reason: "missing value"},
		{Object: "a0000000-0000-4000-8000-000000000008", Field: "type", Reason: "missing type"},
		{Object: "Attribute 9", Field: "value", Reason: `"not-a-hash" is not a valid md5`},
	}
	if len(res.Skipped) != len(wantProblems) {
		t.Fatalf("problems %+v", res.Skipped)
	}
	for i, w := range wantProblems {
		g := res.Skipped[i]
		if g.File != "misp_event.json" || g.Object != w.Object || g.Field != w.Field || g.Reason != w.Reason {
			t.Errorf("problem %d = %+v, want %+v", i, g, w)
		}
	}
	if res.NotIndicators != 3 {
		t.Errorf("not indicators %d, want 3 (user-agent, link, email-subject)", res.NotIndicators)
	}
	only, err := Read("e.json", strings.NewReader(mustRead(t, "testdata/misp_event.json")), ReadOptions{MISPOnlyIDS: true})
	if err != nil || len(only.Indicators) != len(want)-1 {
		t.Errorf("MISPOnlyIDS: %v %d", err, len(only.Indicators))
	}
}

func mustRead(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadMISPShapes(t *testing.T) {
	for _, in := range []string{
		`{"info":"bare","Attribute":[{"type":"domain","value":"a.example"}]}`,
		`{"response":[{"Event":{"info":"r","Attribute":[{"type":"domain","value":"a.example"}]}}]}`,
		`{"Event":{"info":"r","Attribute":[{"type":"hostname","value":"a.example","to_ids":0}]}}`,
	} {
		res, err := ReadAs("misp", "e.json", strings.NewReader(in), ReadOptions{})
		if err != nil || len(res.Indicators) != 1 || res.Indicators[0].Value != "a.example" {
			t.Errorf("%s: %v %+v", in, err, res)
		}
	}
	if _, err := ReadAs("misp", "e.json", strings.NewReader(`{"Event": [`), ReadOptions{}); err == nil {
		t.Error("no error for broken JSON")
	}
	if _, err := ReadAs("misp", "e.json", strings.NewReader(`{"Event":{"Attribute":[{"type":"domain","value":"a.example"},{"type":"domain","value":"b.example"}]}}`), ReadOptions{MaxObjects: 1}); err == nil {
		t.Error("no error over the cap")
	}
}

func TestSharedMISPSamples(t *testing.T) {
	dir := "../../../../shared/data/misp"
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	files = append(files, more...)
	if len(files) == 0 {
		t.Logf("no shared MISP samples in %s: skipped", dir)
		return
	}
	total := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if Detect(f, b) != "misp" {
			continue
		}
		res, err := Read(filepath.Base(f), bytes.NewReader(b), ReadOptions{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		total += len(res.Indicators)
		for _, p := range res.Skipped {
			t.Logf("%s", p.Error())
		}
	}
	t.Logf("%s: %d files, %d indicators", dir, len(files), total)
	if total == 0 {
		t.Error("no indicator in the shared MISP samples")
	}
}

func TestMISPRoundTrip(t *testing.T) {
	inds := sampleIndicators()
	var buf bytes.Buffer
	opt := WriteOptions{Identity: "IT Center", Title: "Danh sách cảnh báo 11/2026"}
	if err := WriteMISP(&buf, inds, opt); err != nil {
		t.Fatal(err)
	}
	if Detect("e.json", buf.Bytes()) != "misp" {
		t.Fatalf("Detect: %s", Detect("e.json", buf.Bytes()))
	}
	res, err := Read("e.json", bytes.NewReader(buf.Bytes()), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 || len(res.Indicators) != len(inds) {
		t.Fatalf("%d back, problems %+v", len(res.Indicators), res.Skipped)
	}
	for i, w := range inds {
		g := res.Indicators[i]
		if w.Source == "" {
			w.Source = opt.Identity
		}
		if w.Report == "" {
			w.Report = opt.Title
		}
		// MISP keeps seconds.
		w.CreatedAt, w.UpdatedAt = g.CreatedAt, g.UpdatedAt
		if !equalIndicator(g, w) {
			t.Errorf("indicator %d\n got %+v\nwant %+v", i, g, w)
		}
		if !g.UpdatedAt.Equal(inds[i].UpdatedAt.Truncate(time.Second)) {
			t.Errorf("updated %v", g.UpdatedAt)
		}
	}
	var again bytes.Buffer
	WriteMISP(&again, inds, opt)
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Error("two exports differ")
	}
	for _, typ := range []string{`"type":"ip-dst","category":"Network activity"`, `"type":"sha256","category":"Payload delivery"`, `"to_ids":true`, `{"name":"tlp:red"}`} {
		if !strings.Contains(buf.String(), typ) {
			t.Errorf("export lacks %s", typ)
		}
	}
}

func TestReadMISPManifest(t *testing.T) {
	in := `{"5f1e2c3d-0000-4000-8000-000000000002": {"info": "second", "Orgc": {"name": "CIRCL"}, "timestamp": "1700000100", "date": "2023-11-14", "Tag": [{"name": "tlp:white"}]},
	        "5F1E2C3D-0000-4000-8000-000000000001": {"info": "first", "Orgc": {"name": "CIRCL"}, "timestamp": 1700000000}}`
	if Detect("manifest.json", []byte(in)) != "misp-manifest" {
		t.Error("Detect does not see a manifest")
	}
	evs, err := ReadMISPManifest(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].UUID != "5f1e2c3d-0000-4000-8000-000000000001" || evs[0].Info != "first" || evs[1].Org != "CIRCL" ||
		!evs[1].Timestamp.Equal(time.Unix(1700000100, 0)) || !slices.Equal(evs[1].Tags, []string{"tlp:white"}) {
		t.Errorf("%+v", evs)
	}
	if _, err := Read("manifest.json", strings.NewReader(in), ReadOptions{}); err == nil {
		t.Error("Read takes a manifest for an event")
	}
	for _, bad := range []string{`[]`, `{"not-a-uuid": {}}`, `{`} {
		if _, err := ReadMISPManifest(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
