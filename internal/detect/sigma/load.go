package sigma

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
func Load(paths []string, filter Filter, opts Options) (*LoadResult, error) {
	res := &LoadResult{}
	var rules []*Rule
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
			if seen[path] {
				return nil
			}
			seen[path] = true
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			res.Files++
			rs, errs := Parse(data, path)
			for _, e := range errs {
				re := &RuleError{Path: path, Err: e}
				if pe, ok := e.(*ParseError); ok {
					re.ID, re.Err = pe.ID, pe.Err
					if pe.Line > 0 {
						re.Err = fmt.Errorf("line %d: %w", pe.Line, pe.Err)
					}
				}
				res.Refused = append(res.Refused, re)
			}
			for _, r := range rs {
				if !filter.Keep(r) {
					res.Skipped++
					continue
				}
				rules = append(rules, r)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sigma: load rules: %w", err)
		}
	}
	set, errs := Compile(rules, opts)
	res.Rules = set
	res.Refused = append(res.Refused, errs...)
	return res, nil
}

// LoadPlaceholders reads placeholder values for the expand modifier from a
// YAML map of name to a value or a list of values.
func LoadPlaceholders(path string) (map[string][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigma: placeholders: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("sigma: placeholders %s: %w", path, err)
	}
	out := map[string][]string{}
	for k, v := range raw {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				out[k] = append(out[k], fmt.Sprint(e))
			}
		case nil:
		default:
			out[k] = []string{fmt.Sprint(x)}
		}
	}
	return out, nil
}
