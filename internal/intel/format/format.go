// Package format reads and writes threat-intelligence files: STIX 2.0 and
// 2.1 bundles, MISP events and feeds (manifest and event files), the
// indicator CSV `vigil detect --ioc` reads, the warning-list XLSX
// template, and pasted values. Readers never stop at a bad object: each
// problem is a Problem naming the file, line or object id and field, and
// the rest is read. It holds the types the intel service stores; it does
// no I/O beyond the reader and writer it is given.
package format

import (
	"fmt"
	"time"

	"vigil/internal/i18n"
)

// Indicator kinds: the names internal/detect/ioc gives them.
const (
	KindIP       = "ip" // an address or a network (CIDR)
	KindDomain   = "domain"
	KindURL      = "url"
	KindMD5      = "md5"
	KindSHA1     = "sha1"
	KindSHA256   = "sha256"
	KindAccount  = "account"
	KindHostname = "hostname"
	KindEmail    = "email"
)

// Kinds lists every indicator kind, in display order.
var Kinds = []string{KindIP, KindDomain, KindURL, KindSHA256, KindSHA1, KindMD5, KindAccount, KindHostname, KindEmail}

// TLP markings (TLP 2.0; "white" is read as "clear").
const (
	TLPClear       = "clear"
	TLPGreen       = "green"
	TLPAmber       = "amber"
	TLPAmberStrict = "amber+strict"
	TLPRed         = "red"
)

// TLPs lists the markings, least restricted first.
var TLPs = []string{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// Required actions on a warning-list entry.
const (
	ActionScan           = "scan"            // full malware scan of the host
	ActionRemoval        = "removal"         // remove the file / software
	ActionPasswordReset  = "password_reset"  // reset the account's password
	ActionDisableAccount = "disable_account" // disable the account
	ActionReimage        = "reimage"         // reinstall the host
	ActionBlock          = "block"           // block the address / domain at the perimeter
)

// Actions lists the actions, lightest first.
var Actions = []string{ActionScan, ActionBlock, ActionRemoval, ActionPasswordReset, ActionDisableAccount, ActionReimage}

// Indicator is one (kind, value) as one source states it. Value is
// normalised as internal/detect/ioc stores it (lower-case domain, CIDR
// masked, hash in lower-case hex). The entry fields (Unit, Action,
// Severity, Reason) are read from a warning-list file's columns and apply
// when the indicator joins a list.
type Indicator struct {
	ID         int64     `json:"id,omitempty"`
	Kind       string    `json:"kind"`
	Value      string    `json:"value"`
	Source     string    `json:"source,omitempty"`
	Confidence int       `json:"confidence"` // 0..100
	TLP        string    `json:"tlp"`
	FirstSeen  time.Time `json:"first_seen,omitzero"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	ValidUntil time.Time `json:"valid_until,omitzero"` // zero: no end
	Tags       []string  `json:"tags,omitempty"`
	Report     string    `json:"report,omitempty"` // the report it came from
	Comment    string    `json:"comment,omitempty"`
	STIXID     string    `json:"stix_id,omitempty"` // indicator--<uuid>; made when absent
	Revoked    bool      `json:"revoked,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`

	Unit     string `json:"unit,omitempty"`     // entry targets this unit's subtree (unit code)
	Action   string `json:"action,omitempty"`   // required action; "" = by what matched (watchlist)
	Severity string `json:"severity,omitempty"` // critical, high, medium, low; "" = high
	Reason   string `json:"reason,omitempty"`   // why it is on the list
}

// Problem is one thing a reader could not take. Line is 1-based for
// line-oriented formats (CSV, paste, XLSX rows), 0 otherwise; Object is the
// STIX id or MISP attribute uuid/index; Field the field at fault.
//
// Reason is always fmt.Sprintf(Format, Args...) with Format one of
// ReasonFormats (problems.go): short English sentences with fixed
// formats. For the intel service: to translate a problem, look Format up
// in a Vietnamese table holding every entry of ReasonFormats (a test can
// check none is missing, as i18n's errorFormats tests do) and format it
// with Args; Reason is the English text. Args are strings and ints.
type Problem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Object string `json:"object,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Format string `json:"format,omitempty"` // one of ReasonFormats
	Args   []any  `json:"args,omitempty"`   // Format's arguments (strings and ints)
}

func (p Problem) Error() string {
	s := p.File
	if p.Line > 0 && s == "" {
		s = fmt.Sprintf("line %d", p.Line)
	} else if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
	}
	if p.Object != "" {
		s += " " + p.Object
	}
	if p.Field != "" {
		s += " " + p.Field
	}
	if s != "" {
		s += ": "
	}
	return s + p.Reason
}

// Localize is the problem in lang: where (i18n.IntelWhere), the field and
// why, translated by its Format; an error's argument says itself so
// (i18n.Localizer).
func (p Problem) Localize(lang string) string {
	return i18n.IntelProblemLine(lang, p.File, p.Line, p.Object, p.Field, p.Format, p.Reason, p.Args)
}

// Result is what a reader produced.
type Result struct {
	Format      string      `json:"format"`       // stix2.0, stix2.1, misp, misp-feed, csv, xlsx, paste
	ObjectsRead int         `json:"objects_read"` // objects, attributes or rows read
	Indicators  []Indicator `json:"-"`
	Skipped     []Problem   `json:"skipped"`
	// Problems counts every problem; Skipped keeps the first MaxProblems
	// of them (and a last one saying how many more there were).
	Problems int `json:"problems"`
	// NotIndicators counts what was read but is no indicator and no
	// problem: STIX comparisons other than equality on a kind Vigil holds,
	// SDOs and SROs (malware, report, relationship...), MISP attribute
	// types Vigil does not hold.
	NotIndicators int `json:"not_indicators"`
}
