// Package kb holds the vulnerability knowledge base's records as the feed
// parsers produce them and as the matchers read them: Microsoft's security
// updates (MSRC CVRF/CSAF), NVD CVEs with their CPE configurations, CISA's
// Known Exploited Vulnerabilities and FIRST's EPSS scores.
//
// It is the contract between the parsers and store (internal/vuln and its
// feed packages) and the matchers (internal/vuln/match): plain data, no I/O.
package kb

import "time"

// Severities as Vigil grades them (MSRC's "Critical"/"Important"/
// "Moderate"/"Low" map to critical/high/medium/low; NVD's CVSS v3 base
// severity likewise).
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// CVE is what is known of one vulnerability, merged from every feed.
type CVE struct {
	ID          string    // "CVE-2023-21674"
	Title       string    // MSRC's title or the start of NVD's description
	Description string    // clipped to a few KiB
	Published   time.Time // first publication (MSRC release date or NVD published)
	Modified    time.Time
	Severity    string  // one of the Severity* constants; "" unknown
	CVSS        float64 // best base score known (CVSS v3.x preferred)
	Vector      string  // its vector string
	CWE         []string
	Source      string // "msrc", "nvd" (the feed that gave Severity/CVSS)
	// MSRC's threat flags, when MSRC published the CVE.
	ExploitedMSRC bool // "Exploited:Yes"
	PubliclyKnown bool // "Publicly Disclosed:Yes"
}

// Product is an MSRC product (ProductTree FullProductName).
type Product struct {
	ID   string // MSRC's ProductID, "11923"
	Name string // "Windows Server 2019"
}

// MSFix is one MSRC remediation of type Vendor Fix: installing KB on
// ProductID fixes CVE. A CVE fixed for several products, or by several KBs
// (security-only and monthly rollup), has one MSFix per pair.
type MSFix struct {
	CVE        string
	ProductID  string
	KB         string   // digits only: "5033371"
	SubType    string   // "Security Update", "Monthly Rollup", "Security Only", "Security Hotpatch Update", ...
	FixedBuild string   // "10.0.17763.5206" when MSRC gives one, else ""
	Supersedes []string // the KBs (digits only) this KB supersedes, from <Supercedence>
	URL        string   // the KB article or catalog link
	Severity   string   // the CVE's severity for this product (MSRC's Threats/Severity), mapped
	Released   time.Time
	Document   string // the CVRF document it came from, "2023-Dec"
}

// KEV is an entry of CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE        string
	Vendor     string
	Product    string
	Name       string
	Added      time.Time // dateAdded
	Due        time.Time // dueDate (the federal remediation deadline)
	Ransomware bool      // knownRansomwareCampaignUse == "Known"
	Action     string    // requiredAction
}

// EPSS is a CVE's exploit prediction score on a date.
type EPSS struct {
	CVE        string
	Score      float64 // 0..1
	Percentile float64 // 0..1
	Date       time.Time
}

// CPEMatch is one cpeMatch of an NVD configuration node: the CPE 2.3
// criteria (part:vendor:product:version:...) and an optional version range.
type CPEMatch struct {
	CVE                   string
	Vulnerable            bool
	Criteria              string // "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"
	Part                  string // "a", "o", "h"
	Vendor                string
	Product               string
	Version               string // "*" or "-" or an exact version
	VersionStartIncluding string
	VersionStartExcluding string
	VersionEndIncluding   string
	VersionEndExcluding   string
	// Config and Node identify the configuration and node the match
	// belongs to; Operator is the node's ("OR" or "AND") and Negate its
	// negate flag; ConfigOperator is the configuration's ("AND" ties an
	// application node to a platform node; "" or "OR" otherwise).
	Config         int
	Node           int
	Operator       string
	Negate         bool
	ConfigOperator string
}
