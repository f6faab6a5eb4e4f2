package sigma

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Find returns the loaded rule (or correlation) whose id is id, or, when
// no id is equal, the only one whose id starts with it (so the short ids
// a table shows work); ok is false when none or several do.
func (rs *RuleSet) Find(id string) (c *Compiled, matches []*Compiled) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		return nil, nil
	}
	all := append(slices.Clip(rs.rules), rs.Correlations()...)
	for _, r := range all {
		if strings.ToLower(r.ID) == id {
			return r, []*Compiled{r}
		}
	}
	for _, r := range all {
		if strings.HasPrefix(strings.ToLower(r.ID), id) {
			matches = append(matches, r)
		}
	}
	if len(matches) == 1 {
		return matches[0], matches
	}
	return nil, matches
}

// Describe renders a compiled rule for a person: its metadata, the events
// it is routed to, the prefilter literals that wake it, and the compiled
// condition tree with each field test as the matcher runs it (values
// folded to lower case unless cased, wildcards resolved into prefix,
// suffix, contains or glob tests, placeholders expanded).
func (rs *RuleSet) Describe(c *Compiled) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", c.Title)
	fmt.Fprintf(&b, "  id:        %s\n", c.ID)
	fmt.Fprintf(&b, "  level:     %s    status: %s\n", c.Level, orDash(c.Status))
	if c.Path != "" {
		fmt.Fprintf(&b, "  file:      %s\n", c.Path)
	}
	ls := c.Logsource
	fmt.Fprintf(&b, "  logsource: product=%s service=%s category=%s\n", orDash(ls.Product), orDash(ls.Service), orDash(ls.Category))
	if len(c.Tags) > 0 {
		fmt.Fprintf(&b, "  tags:      %s\n", strings.Join(c.Tags, " "))
	}
	if c.Correlation != nil {
		cr := c.Correlation
		fmt.Fprintf(&b, "  correlation: %s of %s", cr.Type, strings.Join(cr.Rules, ", "))
		if len(cr.GroupBy) > 0 {
			fmt.Fprintf(&b, " grouped by %s", strings.Join(cr.GroupBy, ", "))
		}
		fmt.Fprintf(&b, " within %s\n", cr.Timespan)
		return b.String()
	}
	fmt.Fprintf(&b, "  applies to: %s\n", rs.routesOf(c.index))
	if len(c.pre) > 0 {
		var lits []string
		for _, p := range c.pre {
			pk := rs.pairs[p]
			name := "any field"
			if pk.field >= 0 {
				name = rs.fieldNames[pk.field]
			}
			lits = append(lits, fmt.Sprintf("%s~%q", name, pk.lit))
		}
		fmt.Fprintf(&b, "  prefilter: evaluated only when one is found: %s\n", strings.Join(lits, ", "))
	} else {
		b.WriteString("  prefilter: none (evaluated on every event it applies to)\n")
	}
	for _, cond := range c.Detection.Conditions {
		fmt.Fprintf(&b, "  condition: %s\n", cond)
	}
	b.WriteString("  compiled:\n")
	rs.describeNode(&b, c.root, 2)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// routesOf says which events the rule at index i is evaluated for.
func (rs *RuleSet) routesOf(i int32) string {
	var out []string
	if slices.Contains(rs.winAll, i) {
		out = append(out, "every Windows event")
	}
	chans := make([]string, 0, len(rs.winChan))
	for ch := range rs.winChan {
		chans = append(chans, ch)
	}
	slices.Sort(chans)
	for _, ch := range chans {
		wc := rs.winChan[ch]
		name := ch
		if name == "" {
			name = "any channel"
		}
		if slices.Contains(wc.any, i) {
			out = append(out, name)
			continue
		}
		var ids []int
		for id, rules := range wc.byID {
			if slices.Contains(rules, i) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			var s []string
			for _, id := range ids {
				s = append(s, strconv.Itoa(id))
			}
			out = append(out, name+" EventID "+strings.Join(s, ","))
		}
	}
	for k, rules := range rs.other {
		if slices.Contains(rules, i) {
			out = append(out, fmt.Sprintf("product=%s service=%s category=%s", orDash(k.product), orDash(k.service), orDash(k.category)))
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, "; ")
}

func (rs *RuleSet) describeNode(b *strings.Builder, n *node, depth int) {
	ind := strings.Repeat("  ", depth)
	switch n.op {
	case opAnd, opOr:
		b.WriteString(ind + map[nodeOp]string{opAnd: "all of", opOr: "any of"}[n.op] + "\n")
		for _, k := range n.kids {
			rs.describeNode(b, k, depth+1)
		}
	case opAtLeast:
		fmt.Fprintf(b, "%sat least %d of\n", ind, n.n)
		for _, k := range n.kids {
			rs.describeNode(b, k, depth+1)
		}
	case opNot:
		b.WriteString(ind + "not\n")
		rs.describeNode(b, n.kids[0], depth+1)
	case opTrue:
		b.WriteString(ind + "true\n")
	case opFalse:
		b.WriteString(ind + "false\n")
	case opField:
		fm := n.fm
		name := fm.name
		if fm.field == anyField {
			name = "any field (keywords)"
		}
		join := "any of"
		if fm.all {
			join = "all of"
		}
		var pats []string
		for i := range fm.pats {
			pats = append(pats, rs.describePattern(&fm.pats[i]))
		}
		if len(pats) == 1 {
			fmt.Fprintf(b, "%s%s %s\n", ind, name, pats[0])
			return
		}
		fmt.Fprintf(b, "%s%s %s:\n", ind, name, join)
		for _, p := range pats {
			fmt.Fprintf(b, "%s    %s\n", ind, p)
		}
	}
}

func (rs *RuleSet) describePattern(p *pattern) string {
	cased := ""
	if p.cased && p.kind != pRegex {
		cased = " (case-sensitive)"
	}
	switch p.kind {
	case pEq:
		if p.s == "" {
			return "is empty ('')"
		}
		return fmt.Sprintf("equals %q%s", p.s, cased)
	case pPrefix:
		return fmt.Sprintf("starts with %q%s", p.s, cased)
	case pSuffix:
		return fmt.Sprintf("ends with %q%s", p.s, cased)
	case pContains:
		return fmt.Sprintf("contains %q%s", p.s, cased)
	case pGlob:
		var g strings.Builder
		for _, c := range p.glob {
			switch c {
			case globStar:
				g.WriteByte('*')
			case globOne:
				g.WriteByte('?')
			default:
				g.WriteByte(byte(c))
			}
		}
		return fmt.Sprintf("matches %q%s", g.String(), cased)
	case pRegex:
		return fmt.Sprintf("matches regexp %q", p.re.String())
	case pLongRun:
		return fmt.Sprintf("has a run of %d characters", int(p.num))
	case pCIDR:
		var nets []string
		for _, n := range p.nets {
			nets = append(nets, n.String())
		}
		return "is an address in " + strings.Join(nets, ", ")
	case pLT, pLTE, pGT, pGTE:
		op := map[patKind]string{pLT: "<", pLTE: "<=", pGT: ">", pGTE: ">="}[p.kind]
		return fmt.Sprintf("is a number %s %s", op, strconv.FormatFloat(p.num, 'g', -1, 64))
	case pExists:
		if p.num != 0 {
			return "exists"
		}
		return "does not exist"
	case pNull:
		return "is absent (null)"
	case pAny:
		return "is present (any value)"
	case pNever:
		return "never matches (empty list)"
	case pFieldRef:
		op := map[patKind]string{pEq: "equals", pPrefix: "starts with", pSuffix: "ends with", pContains: "contains"}[p.refOp]
		return fmt.Sprintf("%s the value of field %s%s", op, rs.fieldNames[p.ref], cased)
	}
	return "?"
}
