package hosts

import (
	"strings"
	"time"

	"vigil/internal/asset"
)

// Reason says why a host fails a coverage check, as a code and arguments
// the pages translate (i18n key "reason.<code>", "{0}", "{1}" replaced by
// the arguments: numbers, names, times).
type Reason struct {
	Code string `json:"code"`
	Args []any  `json:"args,omitempty"`
}

// Reason codes.
const (
	ReasonAVNone        = "av_none"         // no anti-malware product reported
	ReasonAVDisabled    = "av_disabled"     // {0} product
	ReasonAVNotRunning  = "av_not_running"  // {0} product
	ReasonAVRealTimeOff = "av_realtime_off" // {0} product
	ReasonAVSigOld      = "av_signatures_old"
	// {0} whole days since the signatures' update, {1} the product
	ReasonAVSigUnknown  = "av_signatures_unknown" // {0} product
	ReasonEDRNotRunning = "edr_not_running"       // {0} product
	ReasonFWNone        = "fw_none"               // no firewall reported
	ReasonFWOff         = "fw_off"                // {0} product
	ReasonFWProfileOff  = "fw_profile_off"        // {0} the profile that is off ("Domain"), {1} product
	ReasonFWProfilesOff = "fw_profiles_off"       // {0} the profiles that are off ("Domain, Public"), {1} product
	ReasonAgentNone     = "agent_none"            // known from imports only
	ReasonAgentNever    = "agent_never"           // enrolled, never sent a heartbeat
	ReasonAgentSilent   = "agent_silent"          // {0} time of the last heartbeat
)

// Checks are the names of the coverage checks, in the order pages show
// them.
var Checks = []string{"antivirus", "firewall", "agent"}

// AntivirusCheck: anti-malware that is on, running, scanning in real time
// with signatures younger than SignatureMaxAge, or an EDR agent running.
// avOK, avUpdated and edrOK are what ingest derived from the inventory
// (summarise); ctls say, when it fails, why.
func AntivirusCheck(avOK bool, avUpdated time.Time, edrOK bool, ctls []Control, now time.Time) (bool, Reason) {
	if edrOK {
		return true, Reason{}
	}
	if avOK {
		product := ""
		for _, c := range ctls {
			if c.Kind == asset.ControlAntivirus && c.healthy() {
				product = c.Product
				if !c.UpdatedAt.IsZero() && c.UpdatedAt.Equal(avUpdated) {
					break
				}
			}
		}
		if avUpdated.IsZero() {
			return false, Reason{ReasonAVSigUnknown, []any{product}}
		}
		age := now.Sub(avUpdated)
		if age < SignatureMaxAge {
			return true, Reason{}
		}
		return false, Reason{ReasonAVSigOld, []any{int(age / (24 * time.Hour)), product}}
	}
	var edr *Control
	for i := range ctls {
		c := &ctls[i]
		switch c.Kind {
		case asset.ControlAntivirus:
			switch {
			case !c.Enabled:
				return false, Reason{ReasonAVDisabled, []any{c.Product}}
			case c.Running != nil && !*c.Running:
				return false, Reason{ReasonAVNotRunning, []any{c.Product}}
			case c.RealTime != nil && !*c.RealTime:
				return false, Reason{ReasonAVRealTimeOff, []any{c.Product}}
			}
		case asset.ControlEDR:
			if edr == nil {
				edr = c
			}
		}
	}
	if edr != nil {
		return false, Reason{ReasonEDRNotRunning, []any{edr.Product}}
	}
	return false, Reason{ReasonAVNone, nil}
}

// FirewallCheck: a host firewall that is on (on Windows, on every
// profile); when it is not, which profiles are off if the inventory says.
func FirewallCheck(fwOK bool, ctls []Control) (bool, Reason) {
	if fwOK {
		return true, Reason{}
	}
	var fw *Control
	for i := range ctls {
		if ctls[i].Kind == asset.ControlFirewall {
			if fw == nil || len(ctls[i].OffProfiles) > 0 && len(fw.OffProfiles) == 0 {
				fw = &ctls[i]
			}
		}
	}
	switch {
	case fw == nil:
		return false, Reason{ReasonFWNone, nil}
	case len(fw.OffProfiles) == 1:
		return false, Reason{ReasonFWProfileOff, []any{fw.OffProfiles[0], fw.Product}}
	case len(fw.OffProfiles) > 1:
		return false, Reason{ReasonFWProfilesOff, []any{strings.Join(fw.OffProfiles, ", "), fw.Product}}
	}
	return false, Reason{ReasonFWOff, []any{fw.Product}}
}

// AgentCheck: an enrolled agent that called in within AgentStaleAfter.
func AgentCheck(agentID string, seen, now time.Time) (bool, Reason) {
	switch {
	case agentID == "":
		return false, Reason{ReasonAgentNone, nil}
	case seen.IsZero():
		return false, Reason{ReasonAgentNever, nil}
	case now.Sub(seen) >= AgentStaleAfter:
		return false, Reason{ReasonAgentSilent, []any{seen.UTC()}}
	}
	return true, Reason{}
}

// healthy is an anti-malware control that counts if its signatures are
// fresh: on, running and scanning in real time (unknown counts as yes).
func (c Control) healthy() bool {
	return c.Enabled && (c.Running == nil || *c.Running) && (c.RealTime == nil || *c.RealTime)
}
