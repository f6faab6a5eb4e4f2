package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestFlagsAfterArgumentsAndEnv(t *testing.T) {
	t.Setenv("VIGIL_UNIT", "T01")
	t.Setenv("VIGIL_RULES", "a.yml,b.yml")
	var gotUnit string
	var gotArgs, gotRules []string
	var verbose bool
	cmd := &Command{Name: "x", Setup: func(fs *FlagSet) func(ctx context.Context, args []string) error {
		unit := fs.String("unit", "-", "", "unit")
		rules := fs.Strings("rules", "rules")
		v := fs.Bool("verbose", "", false, "")
		return func(ctx context.Context, args []string) error {
			gotUnit, gotArgs, gotRules, verbose = *unit, args, *rules, *v
			return nil
		}
	}}
	root := &Command{Name: "vigil", Subs: []*Command{cmd}}
	var out, errb bytes.Buffer
	if code := Execute(context.Background(), root, []string{"x", "file1", "--verbose", "file2"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if gotUnit != "T01" || strings.Join(gotArgs, ",") != "file1,file2" || !verbose || strings.Join(gotRules, ",") != "a.yml,b.yml" {
		t.Fatalf("unit %q args %v verbose %v rules %v", gotUnit, gotArgs, verbose, gotRules)
	}
	// Command-line values replace the env list.
	Execute(context.Background(), root, []string{"x", "--rules", "c.yml", "--unit", "T02"}, nil, &out, &errb)
	if strings.Join(gotRules, ",") != "c.yml" || gotUnit != "T02" {
		t.Fatalf("rules %v unit %q", gotRules, gotUnit)
	}
	out.Reset()
	Execute(context.Background(), root, []string{"x", "--help"}, nil, &out, &errb)
	if !strings.Contains(out.String(), "--unit  (env VIGIL_UNIT)") || !strings.Contains(out.String(), "(env VIGIL_VERBOSE)") {
		t.Fatalf("help:\n%s", out.String())
	}
}
