package asset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// syntheticInventory is a host with n packages, as the hub's ingest
// benchmark uses (200 packages).
func syntheticInventory(i, n int) *Inventory {
	inv := sampleInventory()
	inv.Hostname = fmt.Sprintf("host-%05d", i)
	inv.Software = inv.Software[:0]
	for p := 0; p < n; p++ {
		inv.Software = append(inv.Software, Software{Name: fmt.Sprintf("package-%03d", p), Version: fmt.Sprintf("1.%d.%d-1", p%7, i%5), Vendor: "Debian", Source: SoftwareDpkg, Arch: "amd64"})
	}
	for p := 0; p < 40; p++ {
		inv.Processes = append(inv.Processes, Process{PID: 100 + p, Name: fmt.Sprintf("proc%d", p), Path: fmt.Sprintf("/usr/bin/proc%d", p), User: "root"})
	}
	return inv
}

// BenchmarkDecodeValidate is the hub's per-inventory cost of reading a
// posted document: decode, validate, normalize, hash.
func BenchmarkDecodeValidate(b *testing.B) {
	raw, _ := json.Marshal(syntheticInventory(1, 200))
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		inv, err := Decode(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		inv.Normalize()
		_ = inv.Hash()
	}
}

// BenchmarkDiff is the cost of the change list between two inventories of
// a host with 200 packages, 10 of them upgraded.
func BenchmarkDiff(b *testing.B) {
	old, new := syntheticInventory(1, 200), syntheticInventory(1, 200)
	for p := 0; p < 10; p++ {
		new.Software[p*20].Version = "9.9"
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(Diff(old, new)) != 10 {
			b.Fatal("wrong diff")
		}
	}
}

// BenchmarkDeltaApply is the hub's cost of rebuilding an inventory from a
// delta (one package upgraded, the collection time changed).
func BenchmarkDeltaApply(b *testing.B) {
	old, new := syntheticInventory(1, 200), syntheticInventory(1, 200)
	new.Software[7].Version = "9.9"
	new.CollectedAt = new.CollectedAt.Add(15 * time.Minute)
	d := MakeDelta(old, new)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Apply(old); err != nil {
			b.Fatal(err)
		}
	}
}
