package findings

// The evidence each kind of finding carries, as stored and served in
// Finding.Evidence. Feeders fill these; pages and exports read them.

// MalwareEvidence is what a malware scan saw: a file, a running process or
// a network connection that matched an indicator of the warning list.
type MalwareEvidence struct {
	TaskID        string `json:"task_id,omitempty"` // the scan task that found it
	Match         string `json:"match"`             // file, process or connection
	IndicatorType string `json:"indicator_type"`    // sha256, md5, ip, domain, ...
	Indicator     string `json:"indicator"`
	Comment       string `json:"comment,omitempty"` // the warning list's description
	Path          string `json:"path,omitempty"`
	SHA256        string `json:"sha256,omitempty"`
	Size          int64  `json:"size,omitempty"`
	Process       string `json:"process,omitempty"`
	PID           int    `json:"pid,omitempty"`
	Remote        string `json:"remote,omitempty"` // address:port
	Domain        string `json:"domain,omitempty"` // what the remote address resolved to
}

// MissingUpdateEvidence is an update a host lacks.
type MissingUpdateEvidence struct {
	Update    string `json:"update"`              // KB5034441, openssl 3.0.13-1~deb12u1
	Product   string `json:"product,omitempty"`   // what it updates
	Installed string `json:"installed,omitempty"` // the version the host runs
	Released  string `json:"released,omitempty"`  // yyyy-mm-dd
	Advisory  string `json:"advisory,omitempty"`  // the vendor's bulletin
	// For a Microsoft update computed from MSRC data: the KB (digits
	// only), the CVEs it fixes on this host's product with the most severe
	// first, the highest CVSS among them, the MSRC document ("2023-Dec")
	// and the later KBs that would also cover it.
	KB         string   `json:"kb,omitempty"`
	CVEs       []string `json:"cves,omitempty"`
	CVSS       float64  `json:"cvss,omitempty"`
	Document   string   `json:"document,omitempty"`
	CoveredBy  []string `json:"covered_by,omitempty"`
	FixedBuild string   `json:"fixed_build,omitempty"`
	// Replaces lists the earlier updates ("KB5032196") that first fixed
	// the CVEs and that this newer one stands in for on the host.
	Replaces []string `json:"replaces,omitempty"`
}

// VulnerabilityEvidence is a CVE on a host, from a scanner report or an
// inventory match.
type VulnerabilityEvidence struct {
	CVE       string   `json:"cve"`
	CVSS      float64  `json:"cvss,omitempty"`
	Exploited bool     `json:"exploited,omitempty"` // on CISA's KEV list
	Product   string   `json:"product,omitempty"`
	Installed string   `json:"installed,omitempty"`
	FixedIn   string   `json:"fixed_in,omitempty"`
	Port      string   `json:"port,omitempty"` // where a scanner saw it
	Scanner   string   `json:"scanner,omitempty"`
	Output    string   `json:"output,omitempty"` // the scanner's proof, clipped
	Updates   []string `json:"updates,omitempty"`
}

// WarningListEvidence is a host on, or in contact with something on, the
// IT Center's monthly warning list.
type WarningListEvidence struct {
	List          string `json:"list"` // which list (month, issuer)
	IndicatorType string `json:"indicator_type"`
	Indicator     string `json:"indicator"`
	Comment       string `json:"comment,omitempty"`
	Seen          string `json:"seen,omitempty"` // where it was seen (address, event, log)
	// What the unit must do and why (internal/watchlist): the required
	// action (scan, removal, password_reset, disable_account, reimage,
	// block), the list's reason, the object the indicator was seen on
	// (host_address, hostname, account, file_hash, alert), and the list.
	Action string `json:"action,omitempty"`
	Reason string `json:"reason,omitempty"`
	Object string `json:"object,omitempty"`
	ListID int64  `json:"list_id,omitempty"`
	Month  string `json:"month,omitempty"`
}
