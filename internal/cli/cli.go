// Package cli is the small command framework behind cmd/vigil: nested
// subcommands, flags that fall back to an environment variable of the same
// name, and --help text that lists each flag with its env var. It uses only
// the standard flag package so the agent build stays small.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrUsage marks an error caused by how the command was called; the process
// exits with status 2 for it.
var ErrUsage = errors.New("usage error")

// UsageError wraps a message as a usage error.
func UsageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// ExitError carries an explicit exit status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// Command is one node of the command tree. A command either has Run or Subs.
type Command struct {
	Name  string
	Short string // one line for the parent's list
	Usage string // e.g. "vigil units import [flags] FILE.csv"
	Long  string // paragraphs shown by --help
	// Flags declares the command's flags on fs; values are read in Run.
	Flags func(fs *FlagSet)
	Run   func(ctx context.Context, fs *FlagSet, args []string) error
	// Setup, an alternative to Flags+Run, declares the flags and returns
	// the function to run, which reads the flag pointers it captured.
	Setup func(fs *FlagSet) func(ctx context.Context, args []string) error
	Subs  []*Command
}

// FlagSet wraps flag.FlagSet and remembers each flag's env var.
type FlagSet struct {
	*flag.FlagSet
	env    map[string]string // flag name -> env var
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
}

// EnvName returns the env var for a flag name: --data-dir -> VIGIL_DATA_DIR.
func EnvName(flagName string) string {
	return "VIGIL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (fs *FlagSet) envDefault(name, envVar, def string) string {
	if envVar == "" || envVar == "-" {
		// Every flag has an environment variable of the same name, so any
		// setting can come from a service manager's environment.
		envVar = EnvName(name)
	}
	fs.env[name] = envVar
	if v, ok := os.LookupEnv(envVar); ok {
		return v
	}
	return def
}

// String declares a string flag whose default comes from envVar when set.
// Pass envVar "" or "-" to derive the name with EnvName (--data-dir ->
// VIGIL_DATA_DIR).
func (fs *FlagSet) String(name, envVar, def, usage string) *string {
	if envVar == "-" {
		envVar = EnvName(name)
	}
	return fs.FlagSet.String(name, fs.envDefault(name, envVar, def), usage)
}

// Bool declares a boolean flag with an env fallback ("1", "true", ...).
func (fs *FlagSet) Bool(name, envVar string, def bool, usage string) *bool {
	if envVar == "-" {
		envVar = EnvName(name)
	}
	v := fs.envDefault(name, envVar, strconv.FormatBool(def))
	b, err := strconv.ParseBool(v)
	if err != nil {
		b = def
	}
	return fs.FlagSet.Bool(name, b, usage)
}

// Int declares an int flag with an env fallback.
func (fs *FlagSet) Int(name, envVar string, def int, usage string) *int {
	if envVar == "-" {
		envVar = EnvName(name)
	}
	v := fs.envDefault(name, envVar, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil {
		n = def
	}
	return fs.FlagSet.Int(name, n, usage)
}

// Duration declares a duration flag with an env fallback.
func (fs *FlagSet) Duration(name, envVar string, def time.Duration, usage string) *time.Duration {
	if envVar == "-" {
		envVar = EnvName(name)
	}
	v := fs.envDefault(name, envVar, def.String())
	d, err := time.ParseDuration(v)
	if err != nil {
		d = def
	}
	return fs.FlagSet.Duration(name, d, usage)
}

// StringList is a repeatable string flag (--rules a --rules b).
type StringList []string

func (s *StringList) String() string     { return strings.Join(*s, ",") }
func (s *StringList) Set(v string) error { *s = append(*s, v); return nil }

// Strings declares a repeatable flag. Its env var holds values separated
// by commas; values given on the command line replace them.
func (fs *FlagSet) Strings(name, usage string) *StringList {
	l := &envList{}
	env := EnvName(name)
	fs.env[name] = env
	if v, ok := os.LookupEnv(env); ok && v != "" {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				l.list = append(l.list, part)
			}
		}
		l.fromEnv = true
	}
	fs.FlagSet.Var(l, name, usage)
	return &l.list
}

type envList struct {
	list    StringList
	fromEnv bool
}

func (e *envList) String() string { return e.list.String() }
func (e *envList) Set(v string) error {
	if e.fromEnv {
		e.list, e.fromEnv = nil, false
	}
	return e.list.Set(v)
}

// Env returns the environment variable bound to a flag, if any.
func (fs *FlagSet) Env(name string) string { return fs.env[name] }

// Main runs the command tree with os.Args and returns the exit status.
func Main(root *Command) int {
	ctx := context.Background()
	return Execute(ctx, root, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// Execute runs root with args and returns the process exit status:
// 0 success, 2 usage error, 1 other errors (or ExitError's code).
func Execute(ctx context.Context, root *Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(ctx, root, []string{root.Name}, args, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", root.Name, ee.Err)
		}
		return ee.Code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name, err)
	if errors.Is(err, ErrUsage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, cmd *Command, path, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(cmd.Subs) > 0 {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			printGroupHelp(stdout, cmd, path)
			if len(args) == 0 {
				return UsageError("missing command")
			}
			return nil
		}
		for _, s := range cmd.Subs {
			if s.Name == args[0] {
				return run(ctx, s, append(path, s.Name), args[1:], stdin, stdout, stderr)
			}
		}
		printGroupHelp(stderr, cmd, path)
		return UsageError("unknown command %q", strings.Join(append(path[1:], args[0]), " "))
	}
	fs := &FlagSet{FlagSet: flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError), env: map[string]string{}, Stdout: stdout, Stderr: stderr, Stdin: stdin}
	fs.SetOutput(io.Discard)
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	var main func(ctx context.Context, args []string) error
	if cmd.Setup != nil {
		main = cmd.Setup(fs)
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			PrintHelp(stdout, cmd, fs, path)
			return nil
		}
		PrintHelp(stderr, cmd, fs, path)
		return UsageError("%v", err)
	}
	if main != nil {
		return main(ctx, fs.Args())
	}
	return cmd.Run(ctx, fs, fs.Args())
}

// interleave lets flags follow positional arguments ("import a.csv --unit X"),
// which the standard flag package stops at.
func interleave(fs *FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			f := fs.Lookup(name)
			if f == nil {
				continue
			}
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(append(flags, "--"), pos...)
}

func printGroupHelp(w io.Writer, cmd *Command, path []string) {
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\n", strings.Join(path, " "))
	if cmd.Long != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(cmd.Long))
	}
	fmt.Fprintln(w, "Commands:")
	for _, s := range cmd.Subs {
		fmt.Fprintf(w, "  %-14s %s\n", s.Name, s.Short)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
}

// PrintHelp writes a command's usage, description and every flag with its
// env var and default.
func PrintHelp(w io.Writer, cmd *Command, fs *FlagSet, path []string) {
	usage := cmd.Usage
	if usage == "" {
		usage = strings.Join(path, " ") + " [flags]"
	}
	fmt.Fprintf(w, "Usage: %s\n\n", usage)
	if cmd.Long != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(cmd.Long))
	} else if cmd.Short != "" {
		fmt.Fprintf(w, "%s\n\n", cmd.Short)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(w, "Flags:")
	for _, n := range names {
		f := fs.Lookup(n)
		line := "  --" + n
		if env := fs.env[n]; env != "" {
			line += "  (env " + env + ")"
		}
		fmt.Fprintln(w, line)
		desc := "      " + f.Usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			if strings.Contains(strings.ToLower(n), "password") || strings.Contains(strings.ToLower(n), "token") || strings.Contains(strings.ToLower(n), "secret") {
				desc += " (set)"
			} else {
				desc += fmt.Sprintf(" (default %q)", f.DefValue)
			}
		}
		fmt.Fprintln(w, desc)
	}
}
