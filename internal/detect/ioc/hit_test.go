package ioc

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestHitJSON checks the form a scan finding carries over the agent
// protocol: {"type", "value", "comment"}, the type by name; what older
// agents wrote ("cidr") still reads.
func TestHitJSON(t *testing.T) {
	b, err := json.Marshal(Hit{Kind: KindIP, Indicator: "198.51.100.0/24", Comment: "c2 net"})
	if err != nil || string(b) != `{"type":"ip","value":"198.51.100.0/24","comment":"c2 net"}` {
		t.Errorf("marshal: %s %v", b, err)
	}
	tests := []struct {
		in   string
		want Kind
		err  bool
	}{
		{`{"type":"sha256","value":"ab"}`, KindSHA256, false},
		{`{"type":"cidr","value":"10.0.0.0/8"}`, KindIP, false},
		{`{"type":"File:Hashes.SHA-256","value":"ab"}`, KindSHA256, false},
		{`{"type":"frobnicate","value":"x"}`, 0, true},
		{`{"type":"","value":"x"}`, 0, true},
	}
	for _, tt := range tests {
		var h Hit
		err := json.Unmarshal([]byte(tt.in), &h)
		if (err != nil) != tt.err || h.Kind != tt.want {
			t.Errorf("%s: %+v %v", tt.in, h, err)
		}
		if tt.err && !errors.Is(err, ErrBadType) {
			t.Errorf("%s: error %v is not ErrBadType", tt.in, err)
		}
	}
	if _, err := json.Marshal(Hit{}); err == nil {
		t.Error("a hit without a kind marshals")
	}
}
