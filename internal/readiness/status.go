package readiness

import "time"

// epsilon absorbs float rounding at a threshold (19 of 20 is 95 %).
const epsilon = 1e-9

// Value returns the criterion's figure from a sample's Num and Den: a
// percentage for a share (nil for 0 of 0), the count otherwise.
func (c *Criterion) Value(num, den float64) *float64 {
	if c.Share() {
		if den == 0 {
			return nil
		}
		v := 100 * num / den
		return &v
	}
	v := num
	return &v
}

// Evaluate returns the status of a metric criterion whose figure is Num
// of Den; has says the hub computes the criterion's key at all.
func (c *Criterion) Evaluate(num, den float64, has bool) string {
	if c.Direction == Info {
		return StatusInfo
	}
	if !has {
		return StatusGap
	}
	v := c.Value(num, den)
	if v == nil {
		if c.EmptyMet {
			return StatusMet
		}
		return StatusGap
	}
	switch c.Direction {
	case MinShare:
		switch {
		case *v >= c.Target-epsilon:
			return StatusMet
		case *v >= c.Target-c.Margin-epsilon:
			return StatusAtRisk
		}
		return StatusFailed
	default: // MaxShare, MaxCount
		switch {
		case *v <= c.Target+epsilon:
			return StatusMet
		case *v <= c.Target+c.Margin+epsilon:
			return StatusAtRisk
		}
		return StatusFailed
	}
}

// Attestation states.
const (
	AttestSubmitted = "submitted"
	AttestAccepted  = "accepted"
	AttestReturned  = "returned"
)

// AttestStates lists the states of an attestation.
var AttestStates = []string{AttestSubmitted, AttestAccepted, AttestReturned}

// attestStatus is the status of one unit's attestation criterion: met
// once accepted, at risk while waiting for review (or, before the
// deadline, not yet attested), failed when sent back or missing at the
// deadline.
func attestStatus(state string, now, due time.Time) string {
	switch state {
	case AttestAccepted:
		return StatusMet
	case AttestSubmitted:
		return StatusAtRisk
	case AttestReturned:
		return StatusFailed
	}
	if now.Before(due) {
		return StatusAtRisk
	}
	return StatusFailed
}

var rank = map[string]int{StatusFailed: 4, StatusAtRisk: 3, StatusGap: 2, StatusMet: 1}

// Worst returns the worst of statuses (failed, at risk, no data, met);
// info is ignored, and no status at all gives "".
func Worst(statuses ...string) string {
	out := ""
	for _, st := range statuses {
		if rank[st] > rank[out] {
			out = st
		}
	}
	return out
}
