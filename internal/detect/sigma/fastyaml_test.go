package sigma

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"vigil/internal/detect/internal/testdatadir"
)

// slowDocuments decodes data with yaml.v3, as Parse did before the fast
// path.
func slowDocuments(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if len(doc.Content) > 0 {
			docs = append(docs, &doc)
		}
	}
}

// sameNode compares what rules read of a node: kind, tag, value, line and
// the children.
func sameNode(a, b *yaml.Node, path string) error {
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || a.Value != b.Value || a.Line != b.Line || len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s: fast kind %d tag %s value %q line %d (%d children), yaml.v3 kind %d tag %s value %q line %d (%d children)",
			path, a.Kind, a.ShortTag(), a.Value, a.Line, len(a.Content), b.Kind, b.ShortTag(), b.Value, b.Line, len(b.Content))
	}
	for i := range a.Content {
		if err := sameNode(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkFast holds the fast path to yaml.v3: when it takes a document, the
// trees must be the same, and yaml.v3 must accept it too.
func checkFast(t *testing.T, name string, data []byte) (taken bool) {
	t.Helper()
	fast, ok := fastDocuments(data)
	if !ok {
		return false
	}
	slow, err := slowDocuments(data)
	if err != nil {
		t.Errorf("%s: fast path took what yaml.v3 refuses (%v):\n%s", name, err, data)
		return true
	}
	if len(fast) != len(slow) {
		t.Errorf("%s: fast %d documents, yaml.v3 %d:\n%s", name, len(fast), len(slow), data)
		return true
	}
	for i := range fast {
		if err := sameNode(fast[i], slow[i], fmt.Sprintf("doc %d", i)); err != nil {
			t.Errorf("%s: %v\n%s", name, err, data)
			return true
		}
	}
	return true
}

// TestFastYAMLSigmaHQ: over every file of the SigmaHQ rule sets, the
// fast path gives yaml.v3's trees, and takes nearly all files.
func TestFastYAMLSigmaHQ(t *testing.T) {
	dir := testdatadir.Shared(t, "sigma")
	var files []string
	for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance", "rules-dfir", "regression_data"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err == nil {
			files = append(files, testdatadir.Files(t, filepath.Join(dir, sub), ".yml")...)
		}
	}
	taken := 0
	var left []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if checkFast(t, f, data) {
			taken++
		} else {
			left = append(left, f)
		}
	}
	t.Logf("fast path took %d of %d files", taken, len(files))
	if len(left) > len(files)/100 {
		t.Errorf("fast path left %d files to yaml.v3, e.g. %v", len(left), left[:min(5, len(left))])
	}
}

func TestFastYAMLCases(t *testing.T) {
	cases := []string{
		"a: 1\nb: 'x'\nc: \"y\\tz\"\nd:\n  - p\n  - q\ne: [1, 'two', three]\nf: {g: h, i: 'j'}\n",
		"title: x # comment\ndescription: |\n    line one\n    line two\n\n    after blank\nk: >\n    folded\n    text\nm: |-\n    kept  \n",
		"detection:\n    sel:\n        - Image|endswith: '\\cmd.exe'\n          CommandLine|contains:\n              - a\n              - b\n        - User: null\n    condition: sel\n",
		"list:\n- a\n- b\nnext: c\n",
		"multi: this is\n    continued here\n  and here\nnext: 1\n",
		"a: 1\n---\nb: 2\n...\n---\n# only a comment\n",
		"a:\nb: ~\nc: ''\nd: \"\"\ne: yes\nf: 0x10\ng: 1.5\nh: 2024-01-02\n",
		"seq:\n  -\n    a: 1\n  - - x\n",
		"k: &anchor v\nl: *anchor\n",
		"k: [a,\n  b]\n",
		"k: v\nk: w\n",
		"'quoted key': 1\n\"dq\": 2\n",
		"a: b: c\n",
		"a:\n\tb: 1\n",
		"x: 'it''s'\ny: \"\\u00e9\\x41\"\n",
		"- a\n- b: 1\n  c: 2\n",
		"a: -1\nb: - x\n",
		"a: [ ]\nb: {}\nc: []\n",
		"a: 'unterminated\n  continues'\n",
		"description: text\n\n    more after a blank\n",
		"a: |+\n  keep\n\n",
		"a: x #c\n#c2\nb: y\n",
		"  indented: root\n  second: 2\n",
		"a: [x, y,]\n",
		"a: {b: [1]}\n",
		"a: 1\n---\n",
		"---\na: 1\n",
		"# c\n---\na: 1\n--- # x\nb: 2\n",
		"",
		"# only\n",
	}
	for i, c := range cases {
		checkFast(t, fmt.Sprintf("case %d", i), []byte(c))
	}
}

// FuzzFastYAML: whatever the fast path takes, yaml.v3 reads the same.
func FuzzFastYAML(f *testing.F) {
	f.Add([]byte("a: 1\nb:\n  - 'x'\n  - {c: d}\n"))
	f.Add([]byte(header + "  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n"))
	f.Add([]byte("description: |\n  a\n  b\n---\nk: >-\n  c\n  d\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 || strings.Contains(string(data), "\x00") {
			return
		}
		checkFast(t, "fuzz", data)
	})
}
