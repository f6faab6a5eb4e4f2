package match

import (
	"regexp"
	"sort"
	"strings"
	"time"

	"vigil/internal/asset"
)

// Result is what one host lacks.
type Result struct {
	// Windows is the MSRC product the host was recognised as ("Windows
	// Server 2019"), "" when it runs no Windows the matcher can name.
	Windows string
	// Products are the MSRC products matched (Windows and applications).
	Products []string
	Updates  []Update        // Microsoft updates to install, most severe first
	Vulns    []Vulnerability // CVEs of other software (NVD), most severe first
	// Mapped and Unmapped count the installed packages that were, or could
	// not be, named as an NVD product (vendor:product); Unmapped lists
	// the latter. Microsoft's own programs matched through MSRC count as
	// mapped.
	Mapped   int
	Unmapped []Package
	// NotCovered says what could not be checked on this host (an unknown
	// Windows build, Office, ...).
	NotCovered []Note
}

// Package is an installed package named as the inventory names it.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

func (p Package) String() string { return strings.TrimSpace(p.Name + " " + p.Version) }

// Note is something the matcher could not check on a host: Code says
// what (one of the Note* constants, for a translated sentence), Subject
// names the thing ("Windows 10 build 12345", "Exchange Server 2019 CU11").
type Note struct {
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"`
}

// Codes of Note.
const (
	NoteUnknownWindows = "unknown_windows" // a Windows release or build the matcher cannot name
	NoteNoProduct      = "no_product"      // no MSRC product in the knowledge base for the host's Windows
	NoteOffice         = "office"          // Microsoft Office is installed: not checked
	NoteExchange       = "exchange"        // an Exchange cumulative update MSRC has no update for
	NoteSQL            = "sql"             // a SQL Server release with no MSRC product
)

// Update is one Microsoft update the host should install: the newest
// update of its product that covers every CVE listed.
type Update struct {
	KB         string   // digits
	Product    string   // MSRC product name
	ProductID  string   //
	SubType    string   // "Security Update", "Monthly Rollup", ...
	CVEs       []string // most severe first
	Severity   string   // the most severe among CVEs on this product
	CVSS       float64  // the highest
	TopCVE     string   // the CVE to name first: a known-exploited one if any, else the most severe
	KEV        bool     // one of CVEs is known exploited
	KEVDue     time.Time
	EPSS       float64
	Document   string // "2024-Feb"
	Released   time.Time
	FixedBuild string
	URL        string
	// Replaces lists the monthly updates (digits) this one stands in for
	// on this host: the KBs that first fixed the CVEs.
	Replaces []string
	// Alternatives are other KBs that would also close every CVE (a
	// security-only update, an older cumulative that is still enough).
	Alternatives []string

	topKEV    bool // what TopCVE was chosen by
	topSev    string
	topCVSS   float64
	Installed string // what the host runs: its build or program version
}

// Vulnerability is a CVE of an installed package, from NVD.
type Vulnerability struct {
	CVE      string
	Package  string // the package name as installed
	Source   string // dpkg, rpm, registry...
	Version  string // as installed
	Vendor   string // CPE vendor:product it was mapped to
	Product  string
	FixedIn  string // the first version outside the vulnerable range, when NVD gives one
	Severity string
	CVSS     float64
	KEV      bool
	KEVDue   time.Time
	EPSS     float64
}

var reKBInName = regexp.MustCompile(`(?i)\bKB(\d{6,8})\b`)

// hasKB is a cheap test for "KB" in any case before the expression.
func hasKB(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == 'K' || s[i] == 'k') && (s[i+1] == 'B' || s[i+1] == 'b') {
			return true
		}
	}
	return false
}

// installedKBs returns the KBs (digits) an inventory lists: its hotfixes
// and KB numbers named by installed programs ("Security Update for
// Exchange Server 2019 CU13 (KB5032146)").
func installedKBs(inv *asset.Inventory) map[string]bool {
	out := make(map[string]bool, len(inv.Hotfixes)+4)
	for _, h := range inv.Hotfixes {
		if k := digitsKB(h.ID); k != "" {
			out[k] = true
		}
	}
	for _, s := range inv.Software {
		if !hasKB(s.Name) {
			continue
		}
		if m := reKBInName.FindStringSubmatch(s.Name); m != nil {
			out[strings.TrimLeft(m[1], "0")] = true
		}
	}
	return out
}

// Match computes what inv lacks.
func (ix *Index) Match(inv *asset.Inventory) *Result {
	r := &Result{}
	installed := installedKBs(inv)
	covered := make(map[string]bool, len(installed)*16)
	for k := range installed {
		covered[k] = true
		for s := range ix.closure[k] {
			covered[s] = true
		}
	}
	var targets []target
	if w, why, ok := IdentifyWindows(inv.OS); ok {
		ids := ix.WindowsProducts(w)
		if len(ids) == 0 {
			r.NotCovered = append(r.NotCovered, Note{Code: NoteNoProduct, Subject: w.String()})
		} else {
			r.Windows = ix.productName[ids[0]]
			b := HostBuild(inv.OS)
			installedAt := inv.OS.Build
			if installedAt == "" {
				installedAt = inv.OS.Version
			}
			for _, id := range ids {
				targets = append(targets, target{id: id, rev: b.Revision, installed: installedAt})
			}
		}
	} else if why != "" {
		r.NotCovered = append(r.NotCovered, Note{Code: NoteUnknownWindows, Subject: why})
	}
	appTargets, msPackages, notes := ix.appTargets(inv)
	targets = append(targets, appTargets...)
	r.NotCovered = append(r.NotCovered, notes...)
	for _, t := range targets {
		r.Products = append(r.Products, ix.productName[t.id])
		r.Updates = append(r.Updates, ix.missing(t, covered)...)
	}
	r.Updates = mergeUpdates(r.Updates)
	sort.SliceStable(r.Updates, func(i, j int) bool {
		return moreSevere(r.Updates[i].Severity, r.Updates[i].CVSS, r.Updates[j].Severity, r.Updates[j].CVSS)
	})
	ix.matchSoftware(inv, msPackages, r)
	return r
}

// target is one MSRC product on a host and what it runs of it.
type target struct {
	id        string
	rev       int    // Windows build revision, 0 when unknown
	version   string // program version, for application products
	installed string
}

// missing lists the updates the host needs for one product.
func (ix *Index) missing(t target, covered map[string]bool) []Update {
	pc := ix.prodCVEs[t.id]
	gs := ix.groups[t.id]
	if len(gs) == 0 {
		return nil
	}
	// An installed cumulative update raises the build even when the
	// inventory reports an older one (or none): MSRC does not always
	// chain a month's update to the previous one.
	for _, g := range gs {
		if g.cumulative && g.fixedRev > t.rev && covered[g.KB] {
			t.rev = g.fixedRev
		}
	}
	closed := make([]bool, len(gs))
	for i, g := range gs {
		switch {
		case covered[g.KB]:
			closed[i] = true
		case g.fixedRev > 0 && t.rev > 0 && t.rev >= g.fixedRev:
			closed[i] = true
		case g.fixedVer != "" && t.version != "" && sameMajor(g.fixedVer, t.version) && CompareVersion(t.version, g.fixedVer) >= 0:
			closed[i] = true
		}
	}
	var out []Update
	byKB := map[string]int{}
	for ci := range pc {
		c := &pc[ci]
		// A CVE is closed when any of its updates for the product is.
		done := false
		for _, gi := range c.groups {
			if closed[gi] {
				done = true
				break
			}
		}
		if done || c.rec == nil {
			continue // closed, or only a hotpatch fixes it: not for this host
		}
		rec := c.rec
		i, ok := byKB[rec.KB]
		if !ok {
			i = len(out)
			byKB[rec.KB] = i
			out = append(out, Update{KB: rec.KB, ProductID: t.id, Product: ix.productName[t.id], SubType: rec.SubType, Document: rec.Document, Released: rec.Released,
				FixedBuild: rec.FixedBuild, URL: rec.URL, Installed: t.installed})
		}
		u := &out[i]
		u.CVEs = append(u.CVEs, c.cve) // pc is sorted most severe first
		for _, gi := range c.groups {
			g := gs[gi]
			if g.KB != rec.KB && !g.hotpatch && g.cumulative && !contains(u.Replaces, g.KB) {
				u.Replaces = append(u.Replaces, g.KB)
			}
		}
		ix.scoreCVE(u, c.cve, c.sev)
	}
	for i := range out {
		sort.Strings(out[i].Replaces)
	}
	return out
}

// prodCVE is one CVE of a product with the updates (indexes into the
// product's groups) that fix it and the newest update that covers them.
type prodCVE struct {
	cve    string
	sev    string
	cvss   float64
	groups []int
	rec    *group
}

// buildProdCVEs arranges a product's updates by CVE, most severe first.
func (ix *Index) buildProdCVEs(gs []*group) []prodCVE {
	at := map[string]int{}
	var out []prodCVE
	for gi, g := range gs {
		for _, f := range g.CVEs {
			i, ok := at[f.CVE]
			if !ok {
				i = len(out)
				at[f.CVE] = i
				out = append(out, prodCVE{cve: f.CVE})
				if c := ix.cves[f.CVE]; c != nil {
					out[i].cvss = c.CVSS
					out[i].sev = c.Severity
				}
			}
			c := &out[i]
			if f.Severity != "" && (severityRank(f.Severity) > severityRank(c.sev) || len(c.groups) == 0) {
				c.sev = f.Severity
			}
			c.groups = append(c.groups, gi)
			if g.rec != nil && (c.rec == nil || newer(g.rec, c.rec)) {
				c.rec = g.rec
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.sev != b.sev || a.cvss != b.cvss {
			return moreSevere(a.sev, a.cvss, b.sev, b.cvss)
		}
		return a.cve < b.cve
	})
	return out
}

// scoreCVE folds one CVE's severity, CVSS, KEV and EPSS into u.
func (ix *Index) scoreCVE(u *Update, cve, sev string) {
	var cvss float64
	if c := ix.cves[cve]; c != nil {
		cvss = c.CVSS
		if sev == "" {
			sev = c.Severity
		}
	}
	isKEV := ix.kev[cve] != nil
	if u.TopCVE == "" || isKEV && !u.topKEV || isKEV == u.topKEV && moreSevere(sev, cvss, u.topSev, u.topCVSS) {
		u.TopCVE, u.topKEV, u.topSev, u.topCVSS = cve, isKEV, sev, cvss
	}
	if severityRank(sev) > severityRank(u.Severity) {
		u.Severity = sev
	}
	if cvss > u.CVSS {
		u.CVSS = cvss
	}
	if k := ix.kev[cve]; k != nil {
		u.KEV = true
		if u.KEVDue.IsZero() || k.Due.Before(u.KEVDue) && !k.Due.IsZero() {
			u.KEVDue = k.Due
		}
	}
	if e := ix.epss[cve]; e > u.EPSS {
		u.EPSS = e
	}
}

func moreSevere(sa string, ca float64, sb string, cb float64) bool {
	if ra, rb := severityRank(sa), severityRank(sb); ra != rb {
		return ra > rb
	}
	return ca > cb
}

// mergeUpdates joins updates of one KB found through several products
// (Windows Server 2019 and its Server Core twin): one line per KB.
func mergeUpdates(in []Update) []Update {
	if len(in) < 2 {
		return in
	}
	idx := map[string]int{}
	out := in[:0:0]
	for _, u := range in {
		i, ok := idx[u.KB]
		if !ok {
			idx[u.KB] = len(out)
			out = append(out, u)
			continue
		}
		o := &out[i]
		for _, c := range u.CVEs {
			if !contains(o.CVEs, c) {
				o.CVEs = append(o.CVEs, c)
			}
		}
		for _, c := range u.Replaces {
			if !contains(o.Replaces, c) {
				o.Replaces = append(o.Replaces, c)
			}
		}
		if u.topKEV && !o.topKEV || u.topKEV == o.topKEV && moreSevere(u.topSev, u.topCVSS, o.topSev, o.topCVSS) {
			o.TopCVE, o.topKEV, o.topSev, o.topCVSS = u.TopCVE, u.topKEV, u.topSev, u.topCVSS
		}
		if severityRank(u.Severity) > severityRank(o.Severity) {
			o.Severity = u.Severity
		}
		if u.CVSS > o.CVSS {
			o.CVSS = u.CVSS
		}
		o.KEV = o.KEV || u.KEV
		if u.EPSS > o.EPSS {
			o.EPSS = u.EPSS
		}
	}
	return out
}
