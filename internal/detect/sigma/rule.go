// Package sigma loads Sigma rules (specification 2.x) and compiles them into
// a matcher for detect.Event. The stages follow regexp/syntax → regexp:
// Parse turns YAML into a Rule (syntax only), Compile checks each rule and
// builds a RuleSet indexed by log source with literal prefilters, and a
// Matcher (one per goroutine) runs the RuleSet over events without
// allocating.
package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"vigil/internal/datafile"
)

// Rule is one Sigma detection rule as written, before compilation.
type Rule struct {
	ID             string
	Title          string
	Status         string // stable, test, experimental, deprecated, unsupported
	Level          string // informational, low, medium, high, critical
	Description    string
	Author         string
	Date           string
	Tags           []string
	References     []string
	FalsePositives []string
	Fields         []string
	Logsource      Logsource
	Detection      Detection
	// Name is the rule's optional unique name, by which correlation rules
	// may refer to it.
	Name string
	// Correlation is set for correlation rules, which have no detection.
	Correlation *Correlation

	// Path and Line say where the rule was read from, for error messages.
	Path string
	Line int
}

// Logsource is the rule's logsource section.
type Logsource struct {
	Product, Category, Service, Definition string
}

// Detection is the rule's detection section: named searches and one or more
// conditions (several conditions are OR-ed, as the specification says).
type Detection struct {
	Searches   map[string]*Search
	Conditions []string
}

// Search is one named search. Either Keywords is set (a field-less search
// over all values of an event) or Maps: OR over maps, each map an AND of
// field specifications.
type Search struct {
	Name     string
	Keywords *FieldSpec
	Maps     [][]*FieldSpec
	Line     int
}

// FieldSpec is one "Field|mod1|mod2: values" line. Field is empty for
// keyword searches.
type FieldSpec struct {
	Field     string
	Modifiers []string
	Values    []Value
	Line      int
}

// ValueKind tells how a YAML scalar was written.
type ValueKind uint8

const (
	String ValueKind = iota
	Number
	Bool
	Null
)

// Value is one scalar of a detection, kept as text; numbers and booleans
// compare by their text as Sigma backends do.
type Value struct {
	Kind ValueKind
	S    string
}

// ParseError says what is wrong with a rule file and where: the position
// every reader of outside data reports (datafile.Error, which errors.As
// also finds), and the rule's id when known. It reads
// "rules/x.yml:12: rule 5f1e...: unknown modifier ...".
type ParseError struct {
	Pos datafile.Error
	ID  string // rule id when known
}

func newParseError(path string, line int, id string, err error) *ParseError {
	e := &ParseError{Pos: datafile.Error{File: path, Line: line, Err: err}, ID: id}
	if id != "" {
		e.Pos.Record = "rule " + id
	}
	return e
}

func (e *ParseError) Error() string { return e.Pos.Error() }
func (e *ParseError) Unwrap() error { return e.Pos.Err }

// As lets errors.As find the position as a *datafile.Error.
func (e *ParseError) As(target any) bool {
	if t, ok := target.(**datafile.Error); ok {
		*t = &e.Pos
		return true
	}
	return false
}

// Parse reads every YAML document of data as a rule. Documents that are not
// detection rules (correlation rules, filters) are returned as errors so the
// caller can report them; path is used in messages only.
func Parse(data []byte, path string) ([]*Rule, []error) {
	var rules []*Rule
	var errs []error
	if docs, ok := fastDocuments(data); ok {
		for _, doc := range docs {
			r, err := parseRule(doc.Content[0], path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if r != nil {
				rules = append(rules, r)
			}
		}
		return rules, errs
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, newParseError(path, 0, "", fmt.Errorf("yaml: %w", err)))
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := parseRule(doc.Content[0], path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r != nil {
			rules = append(rules, r)
		}
	}
	return rules, errs
}

func parseRule(n *yaml.Node, path string) (r *Rule, err error) {
	r = &Rule{Path: path, Line: n.Line}
	fail := func(line int, format string, args ...any) error {
		return newParseError(path, line, r.ID, fmt.Errorf(format, args...))
	}
	if n.Kind != yaml.MappingNode {
		return nil, fail(n.Line, "rule is not a YAML mapping")
	}
	var detection, logsource *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "id":
			r.ID = scalar(v)
		case "title":
			r.Title = scalar(v)
		case "status":
			r.Status = strings.ToLower(scalar(v))
		case "level":
			r.Level = strings.ToLower(scalar(v))
		case "description":
			r.Description = scalar(v)
		case "author":
			r.Author = scalar(v)
		case "date":
			r.Date = scalar(v)
		case "tags":
			r.Tags = scalars(v)
		case "references":
			r.References = scalars(v)
		case "falsepositives":
			r.FalsePositives = scalars(v)
		case "fields":
			r.Fields = scalars(v)
		case "logsource":
			logsource = v
		case "detection":
			detection = v
		case "correlation":
			c, err := parseCorrelation(v)
			if err != nil {
				return nil, fail(v.Line, "correlation: %v", err)
			}
			r.Correlation = c
		case "name":
			r.Name = scalar(v)
		case "filter":
			return nil, fail(k.Line, "sigma filters are not supported yet")
		case "action":
			if s := scalar(v); s == "global" || s == "reset" || s == "repeat" {
				return nil, fail(k.Line, "rule collections with action %q are not supported", s)
			}
		}
	}
	if logsource != nil {
		if logsource.Kind != yaml.MappingNode {
			return nil, fail(logsource.Line, "logsource is not a mapping")
		}
		for i := 0; i+1 < len(logsource.Content); i += 2 {
			k, v := logsource.Content[i], logsource.Content[i+1]
			switch k.Value {
			case "product":
				r.Logsource.Product = strings.ToLower(scalar(v))
			case "category":
				r.Logsource.Category = strings.ToLower(scalar(v))
			case "service":
				r.Logsource.Service = strings.ToLower(scalar(v))
			case "definition":
				r.Logsource.Definition = scalar(v)
			}
		}
	}
	if r.Correlation != nil {
		return r, nil
	}
	if detection == nil {
		return nil, fail(n.Line, "no detection section")
	}
	if detection.Kind != yaml.MappingNode {
		return nil, fail(detection.Line, "detection is not a mapping")
	}
	r.Detection.Searches = map[string]*Search{}
	for i := 0; i+1 < len(detection.Content); i += 2 {
		k, v := detection.Content[i], detection.Content[i+1]
		switch k.Value {
		case "condition":
			switch v.Kind {
			case yaml.ScalarNode:
				r.Detection.Conditions = append(r.Detection.Conditions, v.Value)
			case yaml.SequenceNode:
				for _, c := range v.Content {
					if c.Kind != yaml.ScalarNode {
						return nil, fail(c.Line, "condition list holds a non-string")
					}
					r.Detection.Conditions = append(r.Detection.Conditions, c.Value)
				}
			default:
				return nil, fail(v.Line, "condition is neither a string nor a list")
			}
		case "timeframe":
			// Only meaningful for the deprecated aggregation syntax, which
			// the condition parser refuses.
		default:
			s, err := parseSearch(k.Value, v)
			if err != nil {
				return nil, newParseError(path, v.Line, r.ID, fmt.Errorf("search %q: %w", k.Value, err))
			}
			r.Detection.Searches[k.Value] = s
		}
	}
	if len(r.Detection.Conditions) == 0 {
		return nil, fail(detection.Line, "detection has no condition")
	}
	return r, nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			out = append(out, c.Value)
		}
	}
	return out
}

func parseSearch(name string, n *yaml.Node) (*Search, error) {
	s := &Search{Name: name, Line: n.Line}
	switch n.Kind {
	case yaml.MappingNode:
		m, err := parseMap(n)
		if err != nil {
			return nil, err
		}
		s.Maps = [][]*FieldSpec{m}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			return nil, errors.New("empty list")
		}
		// A list is either all maps (OR of maps) or all scalars (keywords).
		if n.Content[0].Kind == yaml.MappingNode {
			for _, c := range n.Content {
				if c.Kind != yaml.MappingNode {
					return nil, fmt.Errorf("line %d: list mixes maps and values", c.Line)
				}
				m, err := parseMap(c)
				if err != nil {
					return nil, err
				}
				s.Maps = append(s.Maps, m)
			}
			return s, nil
		}
		vals, err := values(n)
		if err != nil {
			return nil, err
		}
		s.Keywords = &FieldSpec{Values: vals, Line: n.Line}
	case yaml.ScalarNode:
		v, err := value(n)
		if err != nil {
			return nil, err
		}
		s.Keywords = &FieldSpec{Values: []Value{v}, Line: n.Line}
	default:
		return nil, fmt.Errorf("unsupported YAML node")
	}
	return s, nil
}

func parseMap(n *yaml.Node) ([]*FieldSpec, error) {
	var out []*FieldSpec
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		parts := strings.Split(k.Value, "|")
		fs := &FieldSpec{Field: parts[0], Line: k.Line}
		for _, m := range parts[1:] {
			fs.Modifiers = append(fs.Modifiers, strings.ToLower(strings.TrimSpace(m)))
		}
		vals, err := values(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k.Value, err)
		}
		fs.Values = vals
		out = append(out, fs)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("line %d: empty map", n.Line)
	}
	return out, nil
}

func values(n *yaml.Node) ([]Value, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		v, err := value(n)
		if err != nil {
			return nil, err
		}
		return []Value{v}, nil
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			// An empty list matches nothing, as an empty OR.
			return []Value{}, nil
		}
		out := make([]Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: value is a map, want a value or a list", n.Line)
}

func value(n *yaml.Node) (Value, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return Value{}, fmt.Errorf("line %d: nested structure where a value belongs", n.Line)
	}
	switch n.ShortTag() {
	case "!!null":
		return Value{Kind: Null}, nil
	case "!!int":
		// Keep decimal text: "0x10" written in YAML means 16.
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return Value{Kind: Number, S: strconv.FormatInt(i, 10)}, nil
		}
		return Value{Kind: Number, S: n.Value}, nil
	case "!!float":
		return Value{Kind: Number, S: n.Value}, nil
	case "!!bool":
		return Value{Kind: Bool, S: strings.ToLower(n.Value)}, nil
	}
	return Value{Kind: String, S: n.Value}, nil
}
