package sigma

import (
	"fmt"
	"strconv"
	"strings"
)

// CondOp is the operator of a condition node.
type CondOp uint8

const (
	CondRef CondOp = iota // a search by name
	CondAnd
	CondOr
	CondNot
	CondOf // N of / all of a pattern or "them"
)

// Cond is the parsed condition tree of a rule.
type Cond struct {
	Op   CondOp
	Name string  // CondRef: search name; CondOf: pattern ("them" for all)
	N    int     // CondOf: how many must match; 0 means all
	Args []*Cond // CondAnd, CondOr: operands; CondNot: one
}

func (c *Cond) String() string {
	switch c.Op {
	case CondRef:
		return c.Name
	case CondNot:
		return "not " + c.Args[0].String()
	case CondOf:
		if c.N == 0 {
			return "all of " + c.Name
		}
		return strconv.Itoa(c.N) + " of " + c.Name
	}
	sep := " and "
	if c.Op == CondOr {
		sep = " or "
	}
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// ParseCondition parses a Sigma condition expression. Precedence, lowest
// first: or, and, not; parentheses group. The deprecated aggregation
// syntax ("| count() by ...") is refused: it belongs in correlation rules.
func ParseCondition(s string) (*Cond, error) {
	p := &condParser{}
	if err := p.lex(s); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("condition: unexpected %q", p.toks[p.pos])
	}
	return c, nil
}

type condParser struct {
	toks  []string
	pos   int
	depth int
}

func (p *condParser) lex(s string) error {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			p.toks = append(p.toks, s[i:i+1])
			i++
		case c == '|':
			return fmt.Errorf("condition: aggregation %q is not supported (use a correlation rule)", strings.TrimSpace(s[i:]))
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			p.toks = append(p.toks, s[i:j])
			i = j
		default:
			return fmt.Errorf("condition: unexpected character %q", c)
		}
	}
	return nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '*' || c == '-' || c == '.' || c == '?' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) or() (*Cond, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	args := []*Cond{l}
	for strings.EqualFold(p.peek(), "or") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		args = append(args, r)
	}
	if len(args) == 1 {
		return l, nil
	}
	return &Cond{Op: CondOr, Args: args}, nil
}

func (p *condParser) and() (*Cond, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	args := []*Cond{l}
	for strings.EqualFold(p.peek(), "and") {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		args = append(args, r)
	}
	if len(args) == 1 {
		return l, nil
	}
	return &Cond{Op: CondAnd, Args: args}, nil
}

func (p *condParser) unary() (*Cond, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		return nil, fmt.Errorf("condition nested too deeply")
	}
	t := p.peek()
	switch {
	case t == "":
		return nil, fmt.Errorf("condition ends early")
	case strings.EqualFold(t, "not"):
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Cond{Op: CondNot, Args: []*Cond{x}}, nil
	case t == "(":
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("condition: missing )")
		}
		p.pos++
		return x, nil
	case t == ")":
		return nil, fmt.Errorf("condition: unexpected )")
	case strings.EqualFold(t, "and") || strings.EqualFold(t, "or") || strings.EqualFold(t, "of"):
		return nil, fmt.Errorf("condition: unexpected %q", t)
	}
	// "N of x" / "all of x" / "any of x"
	if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
		n := 0
		switch {
		case strings.EqualFold(t, "all"):
			n = 0
		case strings.EqualFold(t, "any"):
			n = 1
		default:
			v, err := strconv.Atoi(t)
			if err != nil || v < 1 {
				return nil, fmt.Errorf("condition: bad quantifier %q", t)
			}
			n = v
		}
		if p.pos+2 >= len(p.toks) {
			return nil, fmt.Errorf("condition: %q of what?", t)
		}
		target := p.toks[p.pos+2]
		if target == "(" || target == ")" {
			return nil, fmt.Errorf("condition: %s of needs a name pattern or them", t)
		}
		p.pos += 3
		return &Cond{Op: CondOf, N: n, Name: target}, nil
	}
	p.pos++
	return &Cond{Op: CondRef, Name: t}, nil
}
