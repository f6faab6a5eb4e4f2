package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// Filter selects rules by metadata before compilation.
type Filter struct {
	MinLevel Level    // rules below are skipped; LevelUnknown keeps all
	Statuses []string // statuses to keep; empty keeps all but deprecated and unsupported
}

// Keep reports whether the filter keeps r.
func (f Filter) Keep(r *Rule) bool {
	// Informational is the floor: a rule without a level is kept then.
	if f.MinLevel > LevelInformational {
		if l, _ := ParseLevel(r.Level); l < f.MinLevel {
			return false
		}
	}
	st := strings.ToLower(r.Status)
	if len(f.Statuses) == 0 {
		return st != "deprecated" && st != "unsupported"
	}
	return slices.ContainsFunc(f.Statuses, func(s string) bool { return strings.EqualFold(s, st) })
}

// LoadResult is what Load read.
type LoadResult struct {
	Rules   *RuleSet
	Refused []*RuleError // rules that failed to parse or compile
	Skipped int          // rules left out by the filter
	Files   int
}

// Load reads rules from files and directories (recursively, *.yml and
// *.yaml), keeps those the filter selects, and compiles them. It fails only
// when a path cannot be read at all; bad rules are reported in Refused.
// Files are read and parsed on all cores; the result does not depend on
// how many (rules keep the order of the files as walked).
func Load(paths []string, filter Filter, opts Options) (*LoadResult, error) {
	res := &LoadResult{}
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			ext := strings.ToLower(filepath.Ext(path))
			if path != p && ext != ".yml" && ext != ".yaml" {
				return nil
			}
			if !seen[path] {
				seen[path] = true
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sigma: load rules: %w", err)
		}
	}
	type parsed struct {
		rules []*Rule
		errs  []error
		err   error // the file could not be read
	}
	out := make([]parsed, len(files))
	workers := min(runtime.GOMAXPROCS(0), len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				data, err := os.ReadFile(files[i])
				if err != nil {
					out[i].err = err
					continue
				}
				out[i].rules, out[i].errs = Parse(data, files[i])
			}
		}()
	}
	wg.Wait()
	var rules []*Rule
	for i, path := range files {
		p := &out[i]
		if p.err != nil {
			return nil, fmt.Errorf("sigma: load rules: %w", p.err)
		}
		res.Files++
		for _, e := range p.errs {
			re := &RuleError{Path: path, Err: e}
			if pe, ok := e.(*ParseError); ok {
				re.ID, re.Err = pe.ID, pe.Pos.Err
				if pe.Pos.Line > 0 {
					re.Err = fmt.Errorf("line %d: %w", pe.Pos.Line, pe.Pos.Err)
				}
			}
			res.Refused = append(res.Refused, re)
		}
		for _, r := range p.rules {
			if !filter.Keep(r) {
				res.Skipped++
				continue
			}
			rules = append(rules, r)
		}
	}
	set, errs := Compile(rules, opts)
	res.Rules = set
	res.Refused = append(res.Refused, errs...)
	return res, nil
}

// LoadPlaceholders reads placeholder values for the expand modifier from a
// YAML map of name (with or without the percent signs) to a value or a
// list of values:
//
//	DomainControllers: ['DC01$', 'DC02$']
//	"%dc_ip_addresses%": [192.0.2.10, 192.0.2.11]
//
// A name given no value is an error: the rules using it would be refused.
func LoadPlaceholders(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigma: placeholders: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("sigma: placeholders %s: %w", path, err)
	}
	out := map[string][]string{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("sigma: placeholders %s:%d: want a map of name to a list of values", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := strings.TrimSuffix(strings.TrimPrefix(k.Value, "%"), "%")
		if name == "" {
			return nil, fmt.Errorf("sigma: placeholders %s:%d: empty name", path, k.Line)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.ShortTag() != "!!null" {
				out[name] = append(out[name], v.Value)
			}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("sigma: placeholders %s:%d: %s: values must be text", path, e.Line, name)
				}
				out[name] = append(out[name], e.Value)
			}
		default:
			return nil, fmt.Errorf("sigma: placeholders %s:%d: %s: want a value or a list of values", path, v.Line, name)
		}
		if len(out[name]) == 0 {
			return nil, fmt.Errorf("sigma: placeholders %s:%d: %s has no value", path, v.Line, name)
		}
	}
	return out, nil
}

// Reason sorts a refusal into a short, stable class for counting
// ("placeholder without a value", "unsupported modifier", ...), so a
// summary can say why rules were refused without listing each.
func Reason(err error) string {
	var pe *PlaceholderError
	if errors.As(err, &pe) {
		return "placeholder without a value"
	}
	msg := err.Error()
	if re, ok := err.(*RuleError); ok {
		msg = re.Err.Error()
	}
	for _, c := range reasonClasses {
		if strings.Contains(msg, c.has) {
			return c.reason
		}
	}
	return "invalid rule"
}

var reasonClasses = []struct{ has, reason string }{
	{"yaml:", "YAML syntax"},
	{"unsupported modifier", "unsupported modifier"},
	{"modifier neq", "unsupported modifier"},
	{"needs re before it", "unsupported modifier"},
	{"regular expression", "regular expression not RE2"},
	{"aggregation", "deprecated aggregation"},
	{"correlation", "correlation"},
	{"filters are not supported", "sigma filter document"},
	{"rule collections", "rule collection"},
	{"condition", "bad condition"},
	{"no detection", "no detection"},
}
