// Package match finds what a host lacks from the vulnerability knowledge
// base (internal/vuln/kb): the Microsoft security updates missing from a
// Windows host (MSRC products, KBs, fixed builds and supersedence), and the
// CVEs of other installed software (NVD CPE configurations with version
// ranges, through a small name → CPE table). It is pure: the caller gives
// it the knowledge base and an inventory; it reads no database.
package match

import (
	"sort"
	"strings"
	"time"

	"vigil/internal/vuln/kb"
)

// Data is the knowledge base as the matcher reads it.
type Data struct {
	Version  string // identifies this snapshot; findings name it
	Products []kb.Product
	Fixes    []kb.MSFix
	CVEs     []kb.CVE
	CPE      []kb.CPEMatch
	KEV      []kb.KEV
	EPSS     []kb.EPSS
}

// Index is Data arranged for matching many hosts. Build it once per
// knowledge-base version with NewIndex; it is read-only and safe for
// concurrent use.
type Index struct {
	Version string

	productName map[string]string   // MSRC ProductID → name
	winProducts map[WinOS][]string  // Windows product → ProductIDs
	byName      map[string][]string // lower-case MSRC product name → ProductIDs
	groups      map[string][]*group // ProductID → its updates, newest first
	prodCVEs    map[string][]prodCVE
	closure     map[string]map[string]bool
	cves        map[string]*kb.CVE
	kev         map[string]*kb.KEV
	epss        map[string]float64

	cpe *cpeIndex
}

// group is one KB for one product: the CVEs it fixes there.
type group struct {
	KB         string
	Product    string // ProductID
	SubType    string
	FixedBuild string
	fixedRev   int // revision of FixedBuild for Windows builds; 0 when none
	fixedVer   string
	Released   time.Time
	Document   string
	URL        string
	CVEs       []cveFix
	cumulative bool // a cumulative update or rollup (covers earlier ones of its product)
	hotpatch   bool
	rec        *group // the newest update of the product that covers this one
}

type cveFix struct {
	CVE      string
	Severity string
}

// digitsKB returns the digits of a KB ("KB5033371", "5033371"), or "".
func digitsKB(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2 && (s[0] == 'K' || s[0] == 'k') && (s[1] == 'B' || s[1] == 'b') {
		s = s[2:]
	}
	if !allDigits(s) {
		return ""
	}
	return strings.TrimLeft(s, "0")
}

// NewIndex arranges d for matching.
func NewIndex(d *Data) *Index {
	ix := &Index{Version: d.Version, productName: map[string]string{}, winProducts: map[WinOS][]string{}, byName: map[string][]string{},
		groups: map[string][]*group{}, prodCVEs: map[string][]prodCVE{}, closure: map[string]map[string]bool{}, cves: map[string]*kb.CVE{}, kev: map[string]*kb.KEV{}, epss: map[string]float64{}}
	for _, p := range d.Products {
		ix.productName[p.ID] = p.Name
		key := strings.ToLower(strings.TrimSpace(p.Name))
		if !contains(ix.byName[key], p.ID) {
			ix.byName[key] = append(ix.byName[key], p.ID)
		}
		if w, ok := ParseMSRCName(p.Name); ok && !contains(ix.winProducts[w], p.ID) {
			ix.winProducts[w] = append(ix.winProducts[w], p.ID)
		}
	}
	for i := range d.CVEs {
		c := &d.CVEs[i]
		if old, ok := ix.cves[c.ID]; !ok || old.CVSS < c.CVSS {
			ix.cves[c.ID] = c
		}
	}
	for i := range d.KEV {
		ix.kev[d.KEV[i].CVE] = &d.KEV[i]
	}
	for _, e := range d.EPSS {
		if e.Score > ix.epss[e.CVE] {
			ix.epss[e.CVE] = e.Score
		}
	}

	// Updates per (product, KB); supersedence edges between KBs.
	type pk struct{ product, kb string }
	byPK := map[pk]*group{}
	direct := map[string]map[string]bool{}
	for i := range d.Fixes {
		f := &d.Fixes[i]
		k := digitsKB(f.KB)
		if k == "" || f.ProductID == "" {
			continue // "Click to Run", release notes: not a KB a host can list
		}
		for _, s := range f.Supersedes {
			if s = digitsKB(s); s != "" && s != k {
				if direct[k] == nil {
					direct[k] = map[string]bool{}
				}
				direct[k][s] = true
			}
		}
		g := byPK[pk{f.ProductID, k}]
		if g == nil {
			g = &group{KB: k, Product: f.ProductID, SubType: f.SubType, FixedBuild: f.FixedBuild, Released: f.Released, Document: f.Document, URL: f.URL}
			st := strings.ToLower(f.SubType)
			g.hotpatch = strings.Contains(st, "hotpatch")
			g.cumulative = !g.hotpatch && (st == "security update" || st == "monthly rollup" || strings.Contains(st, "cumulative"))
			if b, ok := ParseBuild(f.FixedBuild); ok && b.Revision > 0 && isWindowsBuild(f.FixedBuild) {
				g.fixedRev = b.Revision
			} else if looksLikeVersion(f.FixedBuild) {
				g.fixedVer = f.FixedBuild
			}
			byPK[pk{f.ProductID, k}] = g
			ix.groups[f.ProductID] = append(ix.groups[f.ProductID], g)
		}
		if f.Released.After(g.Released) {
			g.Released, g.Document = f.Released, f.Document
		}
		if g.FixedBuild == "" && f.FixedBuild != "" {
			g.FixedBuild = f.FixedBuild
		}
		sev := f.Severity
		if sev == "" {
			if c := ix.cves[f.CVE]; c != nil {
				sev = c.Severity
			}
		}
		found := false
		for i := range g.CVEs {
			if g.CVEs[i].CVE == f.CVE {
				found = true
				if severityRank(sev) > severityRank(g.CVEs[i].Severity) {
					g.CVEs[i].Severity = sev
				}
			}
		}
		if !found {
			g.CVEs = append(g.CVEs, cveFix{CVE: f.CVE, Severity: sev})
		}
	}
	// Transitive supersedence, memoised; a cycle (bad data) is cut.
	var walk func(k string, seen map[string]bool) map[string]bool
	walk = func(k string, seen map[string]bool) map[string]bool {
		if c, ok := ix.closure[k]; ok {
			return c
		}
		out := map[string]bool{}
		seen[k] = true
		for s := range direct[k] {
			out[s] = true
			if seen[s] {
				continue
			}
			for t := range walk(s, seen) {
				out[t] = true
			}
		}
		delete(seen, k)
		ix.closure[k] = out
		return out
	}
	for k := range direct {
		walk(k, map[string]bool{})
	}
	// Newest first; then each update's recommended replacement.
	for _, gs := range ix.groups {
		sort.SliceStable(gs, func(i, j int) bool { return newer(gs[i], gs[j]) })
		for _, g := range gs {
			g.rec = g
			if g.hotpatch {
				g.rec = nil
			}
			for _, c := range gs { // newest first: the first that covers g wins
				if c.hotpatch || !c.cumulative && c != g {
					continue
				}
				if c == g || ix.supersedes(c.KB, g.KB) || c.cumulative && g.cumulative && c.fixedRev > 0 && g.fixedRev > 0 && c.fixedRev >= g.fixedRev ||
					c.cumulative && c.fixedVer != "" && g.fixedVer != "" && sameMajor(c.fixedVer, g.fixedVer) && CompareVersion(c.fixedVer, g.fixedVer) >= 0 {
					g.rec = c
					break
				}
			}
		}
	}
	for id, gs := range ix.groups {
		ix.prodCVEs[id] = ix.buildProdCVEs(gs)
	}
	ix.cpe = newCPEIndex(d.CPE)
	return ix
}

// newer orders updates newest first: release date, then fixed build.
func newer(a, b *group) bool {
	if !a.Released.Equal(b.Released) {
		return a.Released.After(b.Released)
	}
	if a.fixedRev != b.fixedRev {
		return a.fixedRev > b.fixedRev
	}
	if a.cumulative != b.cumulative {
		return a.cumulative
	}
	return a.KB > b.KB
}

// supersedes reports whether installing kb a makes b unnecessary (a
// supersedes b, directly or through a chain).
func (ix *Index) supersedes(a, b string) bool { return ix.closure[a][b] }

// Supersedes reports whether KB a supersedes KB b, transitively (digits or
// "KB…" forms).
func (ix *Index) Supersedes(a, b string) bool { return ix.supersedes(digitsKB(a), digitsKB(b)) }

// ProductName is the MSRC name of a ProductID.
func (ix *Index) ProductName(id string) string { return ix.productName[id] }

// WindowsProducts returns the MSRC ProductIDs of a Windows release. A
// Server Core host with no Core product falls back to the full one and
// vice versa.
func (ix *Index) WindowsProducts(w WinOS) []string {
	if ids := ix.winProducts[w]; len(ids) > 0 {
		return ids
	}
	w.Core = !w.Core
	return ix.winProducts[w]
}

// isWindowsBuild tells a Windows fixed build ("10.0.17763.5206",
// "6.3.9600.21715") from a product version ("16.0.5422.1000", "6.0.25").
func isWindowsBuild(s string) bool {
	return strings.HasPrefix(s, "10.0.") || strings.HasPrefix(s, "6.3.") || strings.HasPrefix(s, "6.2.") || strings.HasPrefix(s, "6.1.") || strings.HasPrefix(s, "6.0.6")
}

func looksLikeVersion(s string) bool {
	if s == "" || !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '.' {
			return false
		}
	}
	return strings.Contains(s, ".")
}

func sameMajor(a, b string) bool {
	ma, _, _ := strings.Cut(a, ".")
	mb, _, _ := strings.Cut(b, ".")
	return strings.TrimLeft(ma, "0") == strings.TrimLeft(mb, "0")
}

func severityRank(s string) int {
	switch s {
	case kb.SeverityCritical:
		return 4
	case kb.SeverityHigh:
		return 3
	case kb.SeverityMedium:
		return 2
	case kb.SeverityLow:
		return 1
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Level is one cumulative update of a Windows product: installing it
// brings the build to Revision.
type Level struct {
	KB       string
	Revision int
	Released time.Time
	Document string
}

// Levels lists the cumulative updates of a product with a fixed build,
// oldest first: the patch levels a host of that product can be at.
func (ix *Index) Levels(productID string) []Level {
	var out []Level
	for _, g := range ix.groups[productID] {
		if g.cumulative && g.fixedRev > 0 {
			out = append(out, Level{KB: g.KB, Revision: g.fixedRev, Released: g.Released, Document: g.Document})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out
}
