// Package scanimport reads vulnerability scanners' reports — Nessus (.nessus
// v2), OpenVAS/Greenbone, Qualys VM, Rapid7 Nexpose, Nmap (with the vulners
// script), Trivy, Grype, OSV-Scanner and Nuclei — and files what they found
// as findings of kind vulnerability on the unit's hosts.
//
// Formats are told apart by content, never by file name (Detect). Every
// parser streams: XML through encoding/xml's tokenizer behind a guard that
// caps any element (and refuses a DOCTYPE that declares entities), JSON
// through json.Decoder one array element at a time. A parser hands hosts
// and records to a Sink as it reads them; the importer (Service.Import)
// writes them inside one transaction, so a report that turns out to be
// truncated or malformed at its last byte leaves nothing behind.
package scanimport

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
)

// Formats, as Detect names them and the API's format parameter takes them.
const (
	FormatNessus  = "nessus"
	FormatOpenVAS = "openvas"
	FormatQualys  = "qualys"
	FormatNexpose = "nexpose"
	FormatNmap    = "nmap"
	FormatTrivy   = "trivy"
	FormatGrype   = "grype"
	FormatOSV     = "osv-scanner"
	FormatNuclei  = "nuclei"
)

// Formats lists every format, in the order the documentation names them.
var Formats = []string{FormatNessus, FormatOpenVAS, FormatQualys, FormatNexpose, FormatNmap, FormatTrivy, FormatGrype, FormatOSV, FormatNuclei}

// ScannerNames are the formats' scanners as people name them.
var ScannerNames = map[string]string{FormatNessus: "Nessus", FormatOpenVAS: "OpenVAS", FormatQualys: "Qualys", FormatNexpose: "Nexpose", FormatNmap: "Nmap",
	FormatTrivy: "Trivy", FormatGrype: "Grype", FormatOSV: "OSV-Scanner", FormatNuclei: "Nuclei"}

// Severities as findings grade them.
const (
	sevCritical = "critical"
	sevHigh     = "high"
	sevMedium   = "medium"
	sevLow      = "low"
)

// Reasons a record is skipped; each has a sentence in i18n
// ("scans.skip.<reason>").
const (
	SkipInformational   = "informational"     // the scanner grades it information, not a vulnerability
	SkipNotVulnerable   = "not_vulnerable"    // the scanner checked and found it not vulnerable (Nexpose, Trivy not_affected)
	SkipNoHost          = "no_host"           // no address or name says which host it is about
	SkipNotCVE          = "not_cve"           // an Nmap vulners entry that is an exploit or advisory reference, not a CVE
	SkipNotVulnerabilty = "not_vulnerability" // a misconfiguration or secret (Trivy), not a vulnerability
	SkipBadCVE          = "bad_cve"           // its only identifier is a CVE id that does not parse
	SkipKeptFixed       = "kept_fixed"        // an older scan than the fix recorded for it: the finding stays resolved
	SkipFalsePositive   = "false_positive"    // the scanner marks it a false positive (OpenVAS)
	SkipNoDefinition    = "no_definition"     // the report does not define the check it names (Nexpose)
)

// SkipReasons lists the reasons, for documentation and messages.
var SkipReasons = []string{SkipInformational, SkipNotVulnerable, SkipNoHost, SkipNotCVE, SkipNotVulnerabilty, SkipBadCVE, SkipKeptFixed, SkipFalsePositive, SkipNoDefinition}

// Host is a machine a report is about.
type Host struct {
	Addr   string    // an IP address, canonical ("10.0.0.5", "2001:db8::1"); "" when the report has none
	Name   string    // a host name as the report gives it (short or fully qualified)
	OS     string    // the operating system the scanner guessed
	ScanAt time.Time // when the scanner looked at it; zero when the report does not say
}

// Key identifies the host within one report: its address, else its name.
func (h *Host) Key() string {
	if h.Addr != "" {
		return h.Addr
	}
	return strings.ToLower(h.Name)
}

// Record is one thing a scanner reported about a host: a Nessus
// ReportItem, an OpenVAS result, a Qualys VULN_INFO, a Nexpose test, an
// Nmap vulners entry, a Trivy/Grype/OSV vulnerability of a package, a
// Nuclei match.
type Record struct {
	N         int    // its position among the report's records, 1-based
	Line      int    // the line it starts on, when known
	Host      Host   // the host it is about
	Port      string // "443/tcp"; "" when not about a port
	CheckID   string // the scanner's plugin, NVT, QID, test or template id
	Title     string
	Severity  string   // critical, high, medium, low; "" with Skip set
	CVEs      []string // valid CVE ids, upper case
	CVSS      float64  // base score (v3 preferred); 0 unknown
	Output    string   // the scanner's proof, clipped
	Product   string
	Installed string
	FixedIn   string
	BadCVEs   []string // identifiers given as CVEs that do not parse
	Skip      string   // a reason (Skip*) the record is not filed
	SkipNote  string   // what the reason is about ("image alpine:3.10")
}

// Sink receives what a parser reads, in file order. A host may come again
// (with more details); records name their host themselves.
type Sink interface {
	Host(h *Host) error
	Record(r *Record) error
}

// Report is what a parser says of the whole file.
type Report struct {
	Format  string
	Scanner string    // "Nessus", "OpenVAS", ... as shown to people
	ScanAt  time.Time // when the scan ran, when the report says
	Target  string    // the scanned artifact of a package scanner (image, path)
}

// ErrEntity is returned for a document that declares entities.
var ErrEntity = errors.New("the document declares entities (<!ENTITY>); entity expansion is refused")

// maxOutput bounds a record's proof text as filed.
const maxOutput = 4096

// clip cuts s to at most n bytes on a rune boundary, trimmed.
func clip(s string, n int) string { return i18n.Shorten(strings.TrimSpace(s), n) }

// NormalizeCVE returns the CVE id in s upper-cased, and whether s is one:
// "CVE-", four digits of year, "-", at least four digits.
func NormalizeCVE(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 13 || len(s) > 30 || !strings.EqualFold(s[:4], "CVE-") || s[8] != '-' {
		return "", false
	}
	for i := 4; i < len(s); i++ {
		if i == 8 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return "CVE-" + s[4:], true
}

// addCVE appends a valid, not yet listed CVE to r and reports whether s
// was one.
func (r *Record) addCVE(s string) bool {
	c, ok := NormalizeCVE(s)
	if !ok {
		if t := strings.TrimSpace(s); t != "" && len(r.BadCVEs) < 10 {
			r.BadCVEs = append(r.BadCVEs, clip(t, 40))
		}
		return false
	}
	for _, have := range r.CVEs {
		if have == c {
			return true
		}
	}
	r.CVEs = append(r.CVEs, c)
	return true
}

// severityFromCVSS grades a CVSS base score as NVD's qualitative scale does
// (v3: 9.0 critical, 7.0 high, 4.0 medium, above 0 low).
func severityFromCVSS(score float64) string {
	switch {
	case score >= 9:
		return sevCritical
	case score >= 7:
		return sevHigh
	case score >= 4:
		return sevMedium
	case score > 0:
		return sevLow
	}
	return ""
}

// severityWord maps the words scanners use (Trivy, Grype, Nuclei, Nessus
// risk factors) to a severity; "" for information and none.
func severityWord(s string) (sev string, known bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "urgent":
		return sevCritical, true
	case "high", "important", "serious":
		return sevHigh, true
	case "medium", "moderate":
		return sevMedium, true
	case "low", "negligible", "minimal":
		return sevLow, true
	case "info", "informational", "none", "log", "debug":
		return "", true
	}
	return "", false
}

// parseScore reads a CVSS score that may be followed by a vector ("9.3
// (AV:N/...)"); 0 when absent or out of range.
func parseScore(s string) float64 {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t("); i >= 0 {
		s = s[:i]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 10 {
		return 0
	}
	return f
}

// parseAddr returns the canonical form of an IP address, "" if s is not
// one (a trailing dot, as some tools print, is forgiven).
func parseAddr(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	return a.Unmap().String()
}

// hostFrom fills a host from a string that is an address or a name.
func hostFrom(s string) Host {
	s = strings.TrimSpace(s)
	if a := parseAddr(s); a != "" {
		return Host{Addr: a}
	}
	return Host{Name: cleanName(s)}
}

// cleanName returns a host name if s is a plausible one, "" otherwise.
func cleanName(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "" || len(s) > 253 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return ""
		}
	}
	return s
}

// portOf joins a port number and protocol ("443/tcp"); port 0 or none is "".
func portOf(port, proto string) string {
	port = strings.TrimSpace(port)
	if port == "" || port == "0" {
		return ""
	}
	if _, err := strconv.Atoi(port); err != nil {
		return ""
	}
	proto = strings.ToLower(strings.TrimSpace(proto))
	if proto == "" {
		return port
	}
	return port + "/" + proto
}

// versionsFrom reads "Installed version : x" and "Fixed version : y"
// lines of a scanner's output (Nessus and OpenVAS print them so).
func versionsFrom(out string) (installed, fixed string) {
	for len(out) > 0 {
		line := out
		if i := strings.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			out = ""
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "installed version":
			if installed == "" {
				installed = clip(v, 200)
			}
		case "fixed version":
			if fixed == "" {
				fixed = clip(v, 200)
			}
		}
	}
	return installed, fixed
}

// fail wraps a parse failure with the file and where in it.
func fail(file string, line int, record string, field string, err error) error {
	return &datafile.Error{File: file, Line: line, Record: record, Field: field, Err: err}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func recordName(n int) string { return fmt.Sprintf("record %d", n) }
