package hunt

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/detect/internal/testdatadir"
	"vigil/internal/detect/sigma"
)

// anyWindows fires on every Windows event, so each record read shows.
const anyWindows = `title: Any
id: 11111111-0000-4000-8000-0000000000ff
level: low
logsource: {product: windows}
detection:
    sel:
        EventID|exists: true
    condition: sel
`

// TestDamagedFilesSaidSo: damaged and unusable inputs are reported, not
// passed over: a chunk failing its checksum is named (file, chunk,
// offset) and its matches marked; records lost under garbage are counted
// one by one; an empty or header-only file says "no events"; an .xz file
// is skipped with a note and does not fail the hunt.
func TestDamagedFilesSaidSo(t *testing.T) {
	sample := filepath.Join(testdatadir.Shared(t, "evtx/sbousseaden"), "Discovery", "dicovery_4661_net_group_domain_admins_target.evtx")
	orig, err := os.ReadFile(sample)
	if err != nil {
		testdatadir.Missing(t, "sample "+sample)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const chunk0 = 4096
	flipped := append([]byte(nil), orig...)
	i := bytes.Index(flipped[chunk0+512:chunk0+65536], []byte("e\x00x\x00e\x00"))
	if i < 0 {
		t.Fatal("no .exe in the first chunk")
	}
	flipped[chunk0+512+i] = 'x'
	garbage := append([]byte(nil), orig...)
	for j := chunk0 + 9000; j < chunk0+9000+4096; j++ {
		garbage[j] = byte(0x41 + j%23)
	}
	files := []string{
		write("a_clean.evtx", orig),
		write("b_flipped.evtx", flipped),
		write("c_garbage.evtx", garbage),
		write("d_empty.evtx", nil),
		write("e_header.evtx", orig[:4096]),
		write("f_old.evtx.xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, bytes.Repeat([]byte{0x5a}, 100)...)),
	}
	rules, _ := sigma.Parse([]byte(anyWindows), "any.yml")
	rs, errs := sigma.Compile(rules, sigma.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	perFile := map[string][]*Record{}
	sum, err := Run(context.Background(), Config{Rules: rs, Workers: 2}, files, func(r *Record) error {
		c := *r
		perFile[filepath.Base(r.Source)] = append(perFile[filepath.Base(r.Source)], &c)
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clean := perFile["a_clean.evtx"]
	if len(clean) < 60 {
		t.Fatalf("%d events from the clean file", len(clean))
	}
	for _, r := range clean {
		if r.Damage != "" {
			t.Fatalf("clean record %d marked %q", r.Record, r.Damage)
		}
	}
	// Flipped byte: the first chunk's events are marked, the rest not.
	marked := 0
	for _, r := range perFile["b_flipped.evtx"] {
		if r.Damage != "" {
			marked++
			if !strings.Contains(r.Damage, "chunk 0") {
				t.Errorf("record %d: damage %q does not name chunk 0", r.Record, r.Damage)
			}
		}
	}
	if marked == 0 || marked == len(perFile["b_flipped.evtx"]) {
		t.Errorf("%d of %d records of the flipped file marked; want those of chunk 0", marked, len(perFile["b_flipped.evtx"]))
	}
	var named int
	for _, e := range sum.Damaged {
		if strings.Contains(e.Error(), "b_flipped.evtx") && strings.Contains(e.Error(), "chunk 0") && strings.Contains(e.Error(), "offset 0x1000") {
			named++
		}
	}
	if named != 1 {
		t.Errorf("damage list %v does not name b_flipped.evtx chunk 0 at 0x1000 once", sum.Damaged)
	}
	stat := map[string]*FileStat{}
	for _, f := range sum.PerFile {
		stat[filepath.Base(f.Path)] = f
	}
	g := stat["c_garbage.evtx"]
	if got := int64(len(perFile["c_garbage.evtx"])); g.Lost < 2 || got+g.Lost != int64(len(clean)) {
		t.Errorf("garbage: %d read + %d lost, want %d records in all", got, g.Lost, len(clean))
	}
	if f := stat["d_empty.evtx"]; f.Status != FileEmpty || f.Note != "empty file" {
		t.Errorf("empty file: %+v", f)
	}
	if f := stat["e_header.evtx"]; f.Status != FileEmpty || !strings.Contains(f.Note, "header only") {
		t.Errorf("header-only file: %+v", f)
	}
	if f := stat["f_old.evtx.xz"]; f.Status != FileSkipped || !strings.Contains(f.Note, "xz-compressed") {
		t.Errorf("xz file: %+v", f)
	}
	if len(sum.Failed) != 0 {
		t.Errorf("failed inputs %v; none should fail the hunt", sum.Failed)
	}
	// A directory walk takes the .xz file too, so it is not passed over
	// in silence.
	in, _ := Inputs([]string{dir})
	if len(in) != len(files) {
		t.Errorf("directory walk found %v", in)
	}
}
