package match

import (
	"sort"
	"strings"

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
	matches []kb.CPEMatch
}

type cpeConfig struct {
	cve   string
	and   bool
	nodes []cpeNode
}

type cpeIndex struct {
	configs []cpeConfig
	byVP    map[string][]int // "vendor:product" of a vulnerable match → configs
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
	ix := &cpeIndex{byVP: map[string][]int{}}
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
		cfg.nodes[ni].matches = append(cfg.nodes[ni].matches, m)
		if m.Vulnerable {
			vp := m.Vendor + ":" + m.Product
			if l := ix.byVP[vp]; len(l) == 0 || l[len(l)-1] != ci {
				ix.byVP[vp] = append(l, ci)
			}
		}
	}
	return ix
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
	for _, vp := range vps {
		for _, ci := range ix.cpe.byVP[vp] {
			if seen[ci] {
				continue
			}
			seen[ci] = true
			cfg := &ix.cpe.configs[ci]
			hit, ok := e.config(cfg)
			if !ok {
				continue
			}
			if _, dup := found[cfg.cve]; dup {
				continue
			}
			v := Vulnerability{CVE: cfg.cve, Package: hit.pkg.name, Source: hit.pkg.source, Version: hit.pkg.version, Vendor: hit.m.Vendor, Product: hit.m.Product,
				FixedIn: hit.m.VersionEndExcluding}
			if c := ix.cves[cfg.cve]; c != nil {
				v.Severity, v.CVSS = c.Severity, c.CVSS
			}
			if v.Severity == "" {
				v.Severity = severityFromCVSS(v.CVSS)
			}
			if k := ix.kev[cfg.cve]; k != nil {
				v.KEV, v.KEVDue = true, k.Due
			}
			v.EPSS = ix.epss[cfg.cve]
			found[cfg.cve] = len(r.Vulns)
			r.Vulns = append(r.Vulns, v)
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
func (e *cpeEval) match(m *kb.CPEMatch) (cpeHit, bool) {
	if m.Part == "o" && e.os.Vendor != "" && m.Vendor == e.os.Vendor && m.Product == e.os.Product {
		if m.Version == "*" || m.Version == "-" || m.Version == "" || e.osVersion == "-" || CompareVersion(m.Version, e.osVersion) == 0 {
			return cpeHit{m: *m, pkg: hostPkg{name: e.os.Product, version: e.osVersion}}, true
		}
		return cpeHit{}, false
	}
	for _, p := range e.have[m.Vendor+":"+m.Product] {
		if inRange(p.upstream, m) {
			return cpeHit{pkg: p, m: *m}, true
		}
	}
	return cpeHit{}, false
}

// inRange reports whether version v is what m describes: an exact version,
// or any version ("*", "-") within the start/end bounds.
func inRange(v string, m *kb.CPEMatch) bool {
	if v == "" {
		return false
	}
	if m.Version != "*" && m.Version != "-" && m.Version != "" {
		return CompareVersion(v, m.Version) == 0
	}
	if m.VersionStartIncluding != "" && CompareVersion(v, m.VersionStartIncluding) < 0 {
		return false
	}
	if m.VersionStartExcluding != "" && CompareVersion(v, m.VersionStartExcluding) <= 0 {
		return false
	}
	if m.VersionEndIncluding != "" && CompareVersion(v, m.VersionEndIncluding) > 0 {
		return false
	}
	if m.VersionEndExcluding != "" && CompareVersion(v, m.VersionEndExcluding) >= 0 {
		return false
	}
	return true
}
