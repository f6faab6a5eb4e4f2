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
	ID          string    `json:"id"`          // "CVE-2023-21674"
	Title       string    `json:"title"`       // MSRC's title or the start of NVD's description
	Description string    `json:"description"` // clipped to a few KiB
	Published   time.Time `json:"published"`   // first publication (MSRC release date or NVD published)
	Modified    time.Time `json:"modified"`
	Severity    string    `json:"severity"` // one of the Severity* constants; "" unknown
	CVSS        float64   `json:"cvss"`     // best base score known (CVSS v3.x preferred)
	Vector      string    `json:"vector"`   // its vector string
	CWE         []string  `json:"cwe,omitempty"`
	Source      string    `json:"source"` // "msrc", "nvd" (the feed that gave Severity/CVSS)
	// MSRC's threat flags, when MSRC published the CVE.
	ExploitedMSRC bool `json:"exploited_msrc,omitempty"` // "Exploited:Yes"
	PubliclyKnown bool `json:"publicly_known,omitempty"` // "Publicly Disclosed:Yes"
}

// Product is an MSRC product (ProductTree FullProductName).
type Product struct {
	ID   string `json:"id"`   // MSRC's ProductID, "11923"
	Name string `json:"name"` // "Windows Server 2019"
}

// MSFix is one MSRC remediation of type Vendor Fix: installing KB on
// ProductID fixes CVE. A CVE fixed for several products, or by several KBs
// (security-only and monthly rollup), has one MSFix per pair.
type MSFix struct {
	CVE        string    `json:"cve"`
	ProductID  string    `json:"product_id"`
	KB         string    `json:"kb"`                   // digits only: "5033371"
	SubType    string    `json:"sub_type"`             // "Security Update", "Monthly Rollup", "Security Only", "Security Hotpatch Update", ...
	FixedBuild string    `json:"fixed_build"`          // "10.0.17763.5206" when MSRC gives one, else ""
	Supersedes []string  `json:"supersedes,omitempty"` // the KBs (digits only) this KB supersedes, from <Supercedence>
	URL        string    `json:"url"`                  // the KB article or catalog link
	Severity   string    `json:"severity"`             // the CVE's severity for this product (MSRC's Threats/Severity), mapped
	Released   time.Time `json:"released"`
	Document   string    `json:"document"` // the CVRF document it came from, "2023-Dec"
}

// KEV is an entry of CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE        string    `json:"cve"`
	Vendor     string    `json:"vendor"`
	Product    string    `json:"product"`
	Name       string    `json:"name"`
	Added      time.Time `json:"added"`                // dateAdded
	Due        time.Time `json:"due"`                  // dueDate (the federal remediation deadline)
	Ransomware bool      `json:"ransomware,omitempty"` // knownRansomwareCampaignUse == "Known"
	Action     string    `json:"action"`               // requiredAction
}

// EPSS is a CVE's exploit prediction score on a date.
type EPSS struct {
	CVE        string    `json:"cve"`
	Score      float64   `json:"score"`      // 0..1
	Percentile float64   `json:"percentile"` // 0..1
	Date       time.Time `json:"date"`
}

// CPEMatch is one cpeMatch of an NVD configuration node: the CPE 2.3
// criteria (part:vendor:product:version:...) and an optional version range.
type CPEMatch struct {
	CVE                   string `json:"cve"`
	Vulnerable            bool   `json:"vulnerable,omitempty"`
	Criteria              string `json:"criteria"` // "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"
	Part                  string `json:"part"`     // "a", "o", "h"
	Vendor                string `json:"vendor"`
	Product               string `json:"product"`
	Version               string `json:"version"` // "*" or "-" or an exact version
	VersionStartIncluding string `json:"version_start_including"`
	VersionStartExcluding string `json:"version_start_excluding"`
	VersionEndIncluding   string `json:"version_end_including"`
	VersionEndExcluding   string `json:"version_end_excluding"`
	// Config and Node identify the configuration and node the match
	// belongs to; Operator is the node's ("OR" or "AND") and Negate its
	// negate flag; ConfigOperator is the configuration's ("AND" ties an
	// application node to a platform node; "" or "OR" otherwise).
	Config         int    `json:"config"`
	Node           int    `json:"node"`
	Operator       string `json:"operator"`
	Negate         bool   `json:"negate,omitempty"`
	ConfigOperator string `json:"config_operator"`
}
