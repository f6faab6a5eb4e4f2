package audit_test

import (
	"encoding/json"
	"testing"
	"time"

	"vigil/internal/audit"
)

// goldenRecord is a stored row whose hash must never change: every hub's
// chain was written with this encoding, and a different one would make
// `vigil audit verify` report every row as altered.
func goldenRecord() audit.Record {
	return audit.Record{
		Seq: 42, At: time.Date(2026, 1, 28, 3, 4, 5, 678901000, time.UTC), ActorID: 7, Actor: "attt.hanoi@demo.vigil.local",
		Action: "unit.update", ObjectType: "unit", ObjectID: "T01-03", UnitID: 12,
		Summary: json.RawMessage(`{"after":{"name":"Bảo hiểm xã hội quận Ba Đình"},"before":{"name":"BHXH Ba Đình"}}`),
		IP:      "10.1.2.3", PrevHash: "5f1c0c6b1e0b4d1b9b0f7c8f6f1e2d3c4b5a69788796a5b4c3d2e1f001122334",
	}
}

const goldenHash = "0d6f335c46833e944caccd0a671764881f9bc694bca6419fd8e46d0f38f0020f"

func TestComputeHashGolden(t *testing.T) {
	r := goldenRecord()
	if got := r.ComputeHash(); got != goldenHash {
		t.Fatalf("ComputeHash of the golden record = %s, want %s: the chain encoding changed, and every stored chain would fail verification", got, goldenHash)
	}
	r.UnitID, r.Summary = 0, json.RawMessage(`{}`)
	if r.ComputeHash() == goldenHash {
		t.Fatal("ComputeHash ignores the unit and summary")
	}
}

// BenchmarkComputeHash is the per-row cost of hashing in Verify and Append.
func BenchmarkComputeHash(b *testing.B) {
	r := goldenRecord()
	for b.Loop() {
		r.ComputeHash()
	}
}
