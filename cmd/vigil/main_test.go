package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"vigil/internal/cli"
)

func root() *cli.Command { return &cli.Command{Name: "vigil", Subs: commands} }

// Every command's --help lists each of its flags with its environment
// variable.
func TestHelpListsEveryFlagWithEnv(t *testing.T) {
	var walk func(c *cli.Command, path []string)
	leaves := 0
	walk = func(c *cli.Command, path []string) {
		if len(c.Subs) > 0 {
			for _, s := range c.Subs {
				walk(s, append(append([]string(nil), path...), s.Name))
			}
			return
		}
		leaves++
		var out, errb bytes.Buffer
		code := cli.Execute(context.Background(), root(), append(path, "--help"), strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Errorf("vigil %s --help: exit %d: %s", strings.Join(path, " "), code, errb.String())
			return
		}
		help := out.String()
		if !strings.HasPrefix(help, "Usage: ") {
			t.Errorf("vigil %s --help has no usage line: %q", strings.Join(path, " "), help)
		}
		for _, line := range strings.Split(help, "\n") {
			if strings.HasPrefix(line, "  --") && !strings.Contains(line, "(env VIGIL_") {
				t.Errorf("vigil %s --help: flag without env var: %q", strings.Join(path, " "), line)
			}
		}
	}
	for _, c := range commands {
		walk(c, []string{c.Name})
	}
	if leaves < 6 {
		t.Fatalf("only %d commands found", leaves)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli.Execute(context.Background(), root(), []string{"no-such-command"}, nil, &out, &errb); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if code := cli.Execute(context.Background(), root(), []string{"units", "import"}, nil, &out, &errb); code != 2 {
		t.Errorf("units import without file: exit %d", code)
	}
	if code := cli.Execute(context.Background(), root(), []string{"migrate", "--no-such-flag"}, nil, &out, &errb); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
}
