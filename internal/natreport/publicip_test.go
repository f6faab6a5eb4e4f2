package natreport_test

import (
	"testing"

	"vigil/internal/natreport"
)

// The "public IP addresses" field takes public addresses only, the rule
// the case's own field uses.
func TestPublicIPsChecked(t *testing.T) {
	for val, want := range map[string]string{
		"203.0.113.9\n198.51.100.0/24": "",
		"203.0.113.9\n10.0.0.5":        "lists an internal address: the form takes public addresses only",
		"100.64.1.1":                   "lists an internal address: the form takes public addresses only",
		"fs01.local":                   "must list IP addresses, one a line",
	} {
		got := ""
		for _, p := range natreport.Check(natreport.FormInitial, map[string]string{"public_ips": val}, nil) {
			if p.Field == "public_ips" {
				got = p.Reason
			}
		}
		if got != want {
			t.Errorf("public_ips %q: %q, want %q", val, got, want)
		}
	}
}
