package match

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"vigil/internal/asset"
	"vigil/internal/vuln/kb"
)

// NVD configurations: a CVE has configurations; a configuration has nodes
// joined by its operator (AND ties an application to a platform, OR or
// none means any node); a node has CPE matches joined by its operator and
// may be negated. A host is affected when one configuration holds.

type cpeNode struct {
	and     bool
	negate  bool
	matches []cpeM
}

// cpeM is a CPE match with its version bounds parsed.
type cpeM struct {
	kb.CPEMatch
	exact, si, se, ei, ee ver
	anyVersion            bool
}

func newCPEM(m kb.CPEMatch) cpeM {
	c := cpeM{CPEMatch: m}
	c.anyVersion = m.Version == "*" || m.Version == "-" || m.Version == ""
	if !c.anyVersion {
		c.exact = parseVer(m.Version)
	}
	if m.VersionStartIncluding != "" {
		c.si = parseVer(m.VersionStartIncluding)
	}
	if m.VersionStartExcluding != "" {
		c.se = parseVer(m.VersionStartExcluding)
	}
	if m.VersionEndIncluding != "" {
		c.ei = parseVer(m.VersionEndIncluding)
	}
	if m.VersionEndExcluding != "" {
		c.ee = parseVer(m.VersionEndExcluding)
	}
	return c
}

type cpeConfig struct {
	cve   string
	and   bool
	nodes []cpeNode
}

type cpeIndex struct {
	configs []cpeConfig
	byVP    map[string][]int // "vendor:product" of a vulnerable match → configs that need a full evaluation
	// simple are the configurations of one OR node whose matches all name
	// one product (most of NVD): whether they hold depends on that
	// product's version only, so their answer per (product, version) is
	// kept in hits — hosts installed from the same images share it.
	simple map[string][]int
	hits   sync.Map // vp + "\x00" + version → []simpleHit
	nhits  atomic.Int64
}

// simpleHit is a simple configuration a version satisfies and the match
// that did.
type simpleHit struct {
	config, node, match int
}

// maxHits bounds the cache of simple answers; past it, it starts again.
const maxHits = 1 << 20

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
	ix := &cpeIndex{byVP: map[string][]int{}, simple: map[string][]int{}}
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
		cfg.nodes[ni].matches = append(cfg.nodes[ni].matches, newCPEM(m))
	}
	for ci := range ix.configs {
		cfg := &ix.configs[ci]
		vp, simple := "", len(cfg.nodes) == 1 && !cfg.nodes[0].negate && !cfg.nodes[0].and
		for _, n := range cfg.nodes {
			for _, m := range n.matches {
				x := m.Vendor + ":" + m.Product
				if vp == "" {
					vp = x
				}
				if x != vp || !m.Vulnerable || m.Part == "o" {
					simple = false
				}
			}
		}
		if simple {
			ix.simple[vp] = append(ix.simple[vp], ci)
			continue
		}
		seen := map[string]bool{}
		for _, n := range cfg.nodes {
			for _, m := range n.matches {
				if x := m.Vendor + ":" + m.Product; m.Vulnerable && !seen[x] {
					seen[x] = true
					ix.byVP[x] = append(ix.byVP[x], ci)
				}
			}
		}
	}
	return ix
}

// simpleHits returns the simple configurations of vp that version p
// satisfies, computing them once per (product, version).
func (ix *cpeIndex) simpleHits(vp string, p *hostPkg) []simpleHit {
	list := ix.simple[vp]
	if len(list) == 0 {
		return nil
	}
	key := vp + "\x00" + p.upstream
	if h, ok := ix.hits.Load(key); ok {
		return h.([]simpleHit)
	}
	var out []simpleHit
	for _, ci := range list {
		n := &ix.configs[ci].nodes[0]
		for mi := range n.matches {
			if n.matches[mi].inRange(*p) {
				out = append(out, simpleHit{ci, 0, mi})
				break
			}
		}
	}
	if ix.nhits.Add(1) > maxHits {
		ix.hits.Clear()
		ix.nhits.Store(0)
	}
	ix.hits.Store(key, out)
	return out
}

// splitCPE reads part, vendor, product and version from a CPE 2.3 string.
func splitCPE(s string) (part, vendor, product, version string) {
	f := strings.Split(s, ":")
	if len(f) < 6 || f[0] != "cpe" {
		return "", "", "", ""
	}
	return f[2], f[3], f[4], f[5]
}

// hostPkg is an installed package as the CPE matcher sees it.
type hostPkg struct {
	name, source, version, upstream string
	v                               ver
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
	have := map[string][]hostPkg{}
	for i, s := range inv.Software {
		if ms[i] {
			r.Mapped++
			continue
		}
		cpes := LookupCPE(s)
		if len(cpes) == 0 {
			r.Unmapped = append(r.Unmapped, strings.TrimSpace(s.Name+" "+s.Version))
			continue
		}
		r.Mapped++
		p := hostPkg{name: s.Name, source: s.Source, version: s.Version, upstream: Upstream(s.Version, s.Source)}
		p.v = parseVer(p.upstream)
		for _, c := range cpes {
			have[c.String()] = append(have[c.String()], p)
		}
	}
	if ix.cpe == nil || len(have) == 0 {
		return
	}
	osName, osVer := osCPE(inv.OS)
	e := &cpeEval{have: have, os: osName, osVersion: osVer}
	seen := map[int]bool{}
	found := map[string]int{} // CVE → index in r.Vulns
	vps := make([]string, 0, len(have))
	for vp := range have {
		vps = append(vps, vp)
	}
	sort.Strings(vps)
	add := func(cve string, hit cpeHit) {
		if _, dup := found[cve]; dup {
			return
		}
		v := Vulnerability{CVE: cve, Package: hit.pkg.name, Source: hit.pkg.source, Version: hit.pkg.version, Vendor: hit.m.Vendor, Product: hit.m.Product,
			FixedIn: hit.m.VersionEndExcluding}
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
		found[cve] = len(r.Vulns)
		r.Vulns = append(r.Vulns, v)
	}
	for _, vp := range vps {
		pkgs := have[vp]
		for i := range pkgs {
			for _, h := range ix.cpe.simpleHits(vp, &pkgs[i]) {
				cfg := &ix.cpe.configs[h.config]
				add(cfg.cve, cpeHit{pkg: pkgs[i], m: cfg.nodes[h.node].matches[h.match].CPEMatch})
			}
		}
		for _, ci := range ix.cpe.byVP[vp] {
			if seen[ci] {
				continue
			}
			seen[ci] = true
			cfg := &ix.cpe.configs[ci]
			if hit, ok := e.config(cfg); ok {
				add(cfg.cve, hit)
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

type cpeEval struct {
	have      map[string][]hostPkg
	os        CPEName
	osVersion string
}

type cpeHit struct {
	pkg hostPkg
	m   kb.CPEMatch
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
			if !got && h.m.Vulnerable {
				hit, got = h, true
			}
		}
		return hit, got
	}
	for i := range c.nodes {
		if h, ok := e.node(&c.nodes[i]); ok && h.m.Vulnerable {
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
			if h.m.Vulnerable && !hit.m.Vulnerable || hit.pkg.name == "" {
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
		if m.anyVersion || e.osVersion == "-" || CompareVersion(m.Version, e.osVersion) == 0 {
			return cpeHit{m: m.CPEMatch, pkg: hostPkg{name: e.os.Product, version: e.osVersion}}, true
		}
		return cpeHit{}, false
	}
	for _, p := range e.have[m.Vendor+":"+m.Product] {
		if m.inRange(p) {
			return cpeHit{pkg: p, m: m.CPEMatch}, true
		}
	}
	return cpeHit{}, false
}

func (m *cpeM) inRange(p hostPkg) bool {
	if p.upstream == "" {
		return false
	}
	if !m.anyVersion {
		return cmpVer(p.v, m.exact) == 0
	}
	if m.si != nil && cmpVer(p.v, m.si) < 0 || m.se != nil && cmpVer(p.v, m.se) <= 0 ||
		m.ei != nil && cmpVer(p.v, m.ei) > 0 || m.ee != nil && cmpVer(p.v, m.ee) >= 0 {
		return false
	}
	return true
}
