package match

import (
	"math"
	"sort"
	"strings"

	"vigil/internal/asset"
	"vigil/internal/vuln/kb"
)

// NVD configurations: a CVE has configurations; a configuration has nodes
// joined by its operator (AND ties an application to a platform, OR or
// none means any node); a node has CPE matches joined by its operator and
// may be negated. A host is affected when one configuration holds.
//
// Versions are compared once per installed package, not once per match:
// every version bound NVD gives for a product is sorted into a list, each
// match's bounds become positions in it, and an installed version is
// placed in the list by binary search. Whether a match holds is then two
// integer comparisons.

type cpeNode struct {
	and     bool
	negate  bool
	matches []cpeM
}

// cpeM is a CPE match with its version bounds as positions among its
// product's bounds: a version at position p (2i+1 when it equals bound i,
// 2i when it falls between bounds i-1 and i) is in range when lo ≤ p ≤ hi.
type cpeM struct {
	kb.CPEMatch
	vp     string
	lo, hi int
}

type cpeConfig struct {
	cve   string
	and   bool
	nodes []cpeNode
}

type cpeIndex struct {
	configs []cpeConfig
	bounds  map[string][]ver // vendor:product → its distinct version bounds, sorted
	// simple are the configurations of one OR node whose matches all name
	// one product (most of NVD), decided from that product's version
	// alone; the others (AND with a platform, negated nodes, several
	// products) are in complex and evaluated whole.
	simple  map[string][]flatM
	complex map[string][]int
}

// flatM is a simple configuration's match packed small, so a host's
// products scan their matches from contiguous memory.
type flatM struct {
	lo, hi     int32
	config, mi int32
}

func clamp32(n int) int32 {
	switch {
	case n < math.MinInt32:
		return math.MinInt32
	case n > math.MaxInt32:
		return math.MaxInt32
	}
	return int32(n)
}

func newCPEIndex(ms []kb.CPEMatch) *cpeIndex {
	type ck struct {
		cve    string
		config int
	}
	type nk struct {
		ck
		node int
	}
	cfgAt := map[ck]int{}
	nodeAt := map[nk]int{}
	ix := &cpeIndex{bounds: map[string][]ver{}, simple: map[string][]flatM{}, complex: map[string][]int{}}
	raw := map[string][]string{}
	for _, m := range ms {
		c := ck{m.CVE, m.Config}
		ci, ok := cfgAt[c]
		if !ok {
			ci = len(ix.configs)
			cfgAt[c] = ci
			ix.configs = append(ix.configs, cpeConfig{cve: m.CVE, and: strings.EqualFold(m.ConfigOperator, "AND")})
		}
		cfg := &ix.configs[ci]
		n := nk{c, m.Node}
		ni, ok := nodeAt[n]
		if !ok {
			ni = len(cfg.nodes)
			nodeAt[n] = ni
			cfg.nodes = append(cfg.nodes, cpeNode{and: strings.EqualFold(m.Operator, "AND"), negate: m.Negate})
		}
		if m.Vendor == "" || m.Product == "" {
			m.Part, m.Vendor, m.Product, m.Version = splitCPE(m.Criteria)
		}
		m.Vendor, m.Product = strings.ToLower(m.Vendor), strings.ToLower(m.Product)
		vp := m.Vendor + ":" + m.Product
		cfg.nodes[ni].matches = append(cfg.nodes[ni].matches, cpeM{CPEMatch: m, vp: vp})
		for _, b := range []string{m.VersionStartIncluding, m.VersionStartExcluding, m.VersionEndIncluding, m.VersionEndExcluding} {
			if b != "" {
				raw[vp] = append(raw[vp], b)
			}
		}
		if !anyVersion(m.Version) {
			raw[vp] = append(raw[vp], m.Version)
		}
	}
	for vp, list := range raw {
		vs := make([]ver, len(list))
		for i, s := range list {
			vs[i] = parseVer(s)
		}
		sort.Slice(vs, func(i, j int) bool { return cmpVer(vs[i], vs[j]) < 0 })
		out := vs[:0]
		for _, v := range vs {
			if len(out) == 0 || cmpVer(out[len(out)-1], v) != 0 {
				out = append(out, v)
			}
		}
		ix.bounds[vp] = out
	}
	for ci := range ix.configs {
		cfg := &ix.configs[ci]
		vp, simple := "", len(cfg.nodes) == 1 && !cfg.nodes[0].negate && !cfg.nodes[0].and
		for ni := range cfg.nodes {
			for mi := range cfg.nodes[ni].matches {
				m := &cfg.nodes[ni].matches[mi]
				ix.place(m)
				if vp == "" {
					vp = m.vp
				}
				if m.vp != vp || !m.Vulnerable || m.Part == "o" {
					simple = false
				}
			}
		}
		if simple {
			for mi, m := range cfg.nodes[0].matches {
				ix.simple[vp] = append(ix.simple[vp], flatM{lo: clamp32(m.lo), hi: clamp32(m.hi), config: int32(ci), mi: int32(mi)})
			}
			continue
		}
		seen := map[string]bool{}
		for _, n := range cfg.nodes {
			for _, m := range n.matches {
				if m.Vulnerable && !seen[m.vp] {
					seen[m.vp] = true
					ix.complex[m.vp] = append(ix.complex[m.vp], ci)
				}
			}
		}
	}
	return ix
}

func anyVersion(v string) bool { return v == "*" || v == "-" || v == "" }

// boundAt is the index of bound s among vp's bounds.
func (ix *cpeIndex) boundAt(vp, s string) int {
	bs := ix.bounds[vp]
	v := parseVer(s)
	return sort.Search(len(bs), func(i int) bool { return cmpVer(bs[i], v) >= 0 })
}

// place turns m's version bounds into positions.
func (ix *cpeIndex) place(m *cpeM) {
	m.lo, m.hi = math.MinInt, math.MaxInt
	if !anyVersion(m.Version) {
		i := ix.boundAt(m.vp, m.Version)
		m.lo, m.hi = 2*i+1, 2*i+1
		return
	}
	if s := m.VersionStartIncluding; s != "" {
		m.lo = 2*ix.boundAt(m.vp, s) + 1
	}
	if s := m.VersionStartExcluding; s != "" {
		m.lo = 2*ix.boundAt(m.vp, s) + 2
	}
	if s := m.VersionEndIncluding; s != "" {
		m.hi = 2*ix.boundAt(m.vp, s) + 1
	}
	if s := m.VersionEndExcluding; s != "" {
		m.hi = 2 * ix.boundAt(m.vp, s)
	}
}

// position places version v among vp's bounds.
func (ix *cpeIndex) position(vp string, v ver) int {
	bs := ix.bounds[vp]
	i := sort.Search(len(bs), func(i int) bool { return cmpVer(bs[i], v) >= 0 })
	if i < len(bs) && cmpVer(bs[i], v) == 0 {
		return 2*i + 1
	}
	return 2 * i
}

// hostPkg is an installed package as the CPE matcher sees it, placed
// among the bounds of one NVD product.
type hostPkg struct {
	name, source, version, upstream string
	pos                             int
}

func (m *cpeM) holds(p *hostPkg) bool {
	return p.upstream != "" && m.lo <= p.pos && p.pos <= m.hi
}

// splitCPE reads part, vendor, product and version from a CPE 2.3 string.
func splitCPE(s string) (part, vendor, product, version string) {
	f := strings.Split(s, ":")
	if len(f) < 6 || f[0] != "cpe" {
		return "", "", "", ""
	}
	return f[2], f[3], f[4], f[5]
}

// osCPE names a host's operating system as NVD's platform CPEs do
// (debian:debian_linux:12, canonical:ubuntu_linux:22.04,
// redhat:enterprise_linux:9), so AND configurations with a platform node
// can be decided.
func osCPE(os asset.OS) (CPEName, string) {
	n := strings.ToLower(os.Name)
	major := func(v string) string { m, _, _ := strings.Cut(v, "."); return m }
	switch {
	case strings.Contains(n, "debian"):
		return CPEName{"debian", "debian_linux"}, major(os.Version)
	case strings.Contains(n, "ubuntu"):
		return CPEName{"canonical", "ubuntu_linux"}, os.Version
	case strings.Contains(n, "red hat"), strings.Contains(n, "rhel"):
		return CPEName{"redhat", "enterprise_linux"}, major(os.Version)
	case strings.Contains(n, "windows"):
		if w, _, ok := IdentifyWindows(os); ok {
			f := strings.ReplaceAll(w.Family, " ", "_")
			if w.Release != "" && (w.Family == "10" || w.Family == "11") {
				return CPEName{"microsoft", "windows_" + f + "_" + w.Release}, "-"
			}
			return CPEName{"microsoft", "windows_" + f}, "-"
		}
	}
	return CPEName{}, ""
}

// matchSoftware matches inv's packages (except those ms says MSRC
// covers) against NVD and fills r.Vulns, r.Mapped and r.Unmapped.
func (ix *Index) matchSoftware(inv *asset.Inventory, ms map[int]bool, r *Result) {
	var have map[string][]hostPkg
	if r.Unmapped == nil {
		r.Unmapped = make([]Package, 0, len(inv.Software))
	}
	for i, s := range inv.Software {
		if ms[i] {
			r.Mapped++
			continue
		}
		cpes := LookupCPE(s)
		if len(cpes) == 0 {
			r.Unmapped = append(r.Unmapped, Package{Name: s.Name, Version: s.Version})
			continue
		}
		r.Mapped++
		if ix.cpe == nil {
			continue
		}
		up := Upstream(s.Version, s.Source)
		var v ver
		for _, c := range cpes {
			vp := c.String()
			if _, known := ix.cpe.bounds[vp]; !known && len(ix.cpe.simple[vp]) == 0 && len(ix.cpe.complex[vp]) == 0 {
				continue
			}
			if v == nil {
				v = parseVer(up)
			}
			if have == nil {
				have = map[string][]hostPkg{}
			}
			have[vp] = append(have[vp], hostPkg{name: s.Name, source: s.Source, version: s.Version, upstream: up, pos: ix.cpe.position(vp, v)})
		}
	}
	if len(have) == 0 {
		return
	}
	osName, osVer := osCPE(inv.OS)
	e := &cpeEval{have: have, os: osName, osVersion: osVer}
	found := make(map[string]bool, 64)
	r.Vulns = make([]Vulnerability, 0, 64)
	add := func(cve string, p *hostPkg, m *kb.CPEMatch) {
		if found[cve] {
			return
		}
		found[cve] = true
		v := Vulnerability{CVE: cve, Package: p.name, Source: p.source, Version: p.version, Vendor: m.Vendor, Product: m.Product, FixedIn: m.VersionEndExcluding}
		if c := ix.cves[cve]; c != nil {
			v.Severity, v.CVSS = c.Severity, c.CVSS
		}
		if v.Severity == "" {
			v.Severity = severityFromCVSS(v.CVSS)
		}
		if k := ix.kev[cve]; k != nil {
			v.KEV, v.KEVDue = true, k.Due
		}
		v.EPSS = ix.epss[cve]
		r.Vulns = append(r.Vulns, v)
	}
	vps := make([]string, 0, len(have))
	for vp := range have {
		vps = append(vps, vp)
	}
	sort.Strings(vps)
	var seen map[int]bool
	for _, vp := range vps {
		pkgs := have[vp]
		for _, f := range ix.cpe.simple[vp] {
			for pi := range pkgs {
				p := &pkgs[pi]
				if p.upstream != "" && int(f.lo) <= p.pos && p.pos <= int(f.hi) {
					cfg := &ix.cpe.configs[f.config]
					add(cfg.cve, p, &cfg.nodes[0].matches[f.mi].CPEMatch)
					break
				}
			}
		}
		for _, ci := range ix.cpe.complex[vp] {
			if seen == nil {
				seen = map[int]bool{}
			}
			if seen[ci] {
				continue
			}
			seen[ci] = true
			cfg := &ix.cpe.configs[ci]
			if hit, ok := e.config(cfg); ok {
				add(cfg.cve, hit.pkg, hit.m)
			}
		}
	}
	sort.SliceStable(r.Vulns, func(i, j int) bool {
		a, b := &r.Vulns[i], &r.Vulns[j]
		if a.Severity != b.Severity || a.CVSS != b.CVSS {
			return moreSevere(a.Severity, a.CVSS, b.Severity, b.CVSS)
		}
		return a.CVE < b.CVE
	})
}

type cpeEval struct {
	have      map[string][]hostPkg
	os        CPEName
	osVersion string
}

type cpeHit struct {
	pkg *hostPkg
	m   *kb.CPEMatch
}

// config decides a configuration; the hit is the vulnerable package.
func (e *cpeEval) config(c *cpeConfig) (cpeHit, bool) {
	var hit cpeHit
	var got bool
	if c.and {
		for i := range c.nodes {
			h, ok := e.node(&c.nodes[i])
			if !ok {
				return cpeHit{}, false
			}
			if !got && h.m != nil && h.m.Vulnerable {
				hit, got = h, true
			}
		}
		return hit, got
	}
	for i := range c.nodes {
		if h, ok := e.node(&c.nodes[i]); ok && h.m != nil && h.m.Vulnerable {
			return h, true
		}
	}
	return cpeHit{}, false
}

func (e *cpeEval) node(n *cpeNode) (cpeHit, bool) {
	var hit cpeHit
	matched := false
	if n.and {
		matched = len(n.matches) > 0
		for i := range n.matches {
			h, ok := e.match(&n.matches[i])
			if !ok {
				matched = false
				break
			}
			if hit.m == nil || h.m.Vulnerable && !hit.m.Vulnerable {
				hit = h
			}
		}
	} else {
		for i := range n.matches {
			h, ok := e.match(&n.matches[i])
			if !ok {
				continue
			}
			if !matched || h.m.Vulnerable && !hit.m.Vulnerable {
				hit = h
			}
			matched = true
			if hit.m.Vulnerable {
				break
			}
		}
	}
	if n.negate {
		return cpeHit{}, !matched
	}
	return hit, matched
}

// match decides one CPE match against the host.
func (e *cpeEval) match(m *cpeM) (cpeHit, bool) {
	if m.Part == "o" && e.os.Vendor != "" && m.Vendor == e.os.Vendor && m.Product == e.os.Product {
		if anyVersion(m.Version) || e.osVersion == "-" || CompareVersion(m.Version, e.osVersion) == 0 {
			return cpeHit{m: &m.CPEMatch, pkg: &hostPkg{name: e.os.Product, version: e.osVersion}}, true
		}
		return cpeHit{}, false
	}
	pkgs := e.have[m.vp]
	for i := range pkgs {
		if m.holds(&pkgs[i]) {
			return cpeHit{pkg: &pkgs[i], m: &m.CPEMatch}, true
		}
	}
	return cpeHit{}, false
}

// severityFromCVSS grades a CVSS v3 base score as NVD does.
func severityFromCVSS(s float64) string {
	switch {
	case s >= 9:
		return kb.SeverityCritical
	case s >= 7:
		return kb.SeverityHigh
	case s >= 4:
		return kb.SeverityMedium
	}
	return kb.SeverityLow
}
