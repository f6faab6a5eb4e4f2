package scan

import (
	"fmt"
	"net/netip"
	"testing"

	"vigil/internal/detect/ioc"
)

func TestIOCMatcher(t *testing.T) {
	b := ioc.NewBuilder()
	sums := randomSums(3, 9)
	b.Add(ioc.KindSHA256, Hex(sums[0]), "sample")
	b.Add(ioc.KindIP, "198.51.100.0/24", "c2 net")
	b.Add(ioc.KindDomain, "bad.example", "")
	m := IOCMatcher{b.Build()}
	if ind, ok := m.MatchHash(&sums[0]); !ok || ind.Type != "sha256" || ind.Value != Hex(sums[0]) || ind.Comment != "sample" {
		t.Errorf("hash: %+v %v", ind, ok)
	}
	if _, ok := m.MatchHash(&sums[1]); ok {
		t.Error("false hash match")
	}
	if ind, ok := m.MatchIP(netip.MustParseAddr("198.51.100.7")); !ok || ind.Type != TypeCIDR {
		t.Errorf("ip: %+v", ind)
	}
	if ind, ok := m.MatchDomain("x.bad.example"); !ok || ind.Value != "bad.example" {
		t.Errorf("domain: %+v", ind)
	}
}

// BenchmarkIOCLookup is BenchmarkHashLookup through the shared indicator
// library, as `vigil agent scan --ioc` and scan tasks use it.
func BenchmarkIOCLookup(b *testing.B) {
	for _, n := range []int{10, 1000, 1000000} {
		b.Run(fmt.Sprintf("indicators=%d", n), func(b *testing.B) {
			sums := randomSums(n, 1)
			bl := ioc.NewBuilder()
			for _, s := range sums {
				bl.Add(ioc.KindSHA256, Hex(s), "")
			}
			m := IOCMatcher{bl.Build()}
			const np = 1 << 16
			probes := randomSums(np, 2)
			for i := 0; i < len(probes); i += 16 {
				probes[i] = sums[(i*7919)%len(sums)]
			}
			b.ResetTimer()
			hits := 0
			for i := 0; i < b.N; i++ {
				if _, ok := m.MatchHash(&probes[i&(np-1)]); ok {
					hits++
				}
			}
			if hits == 0 {
				b.Fatal("no hits")
			}
		})
	}
}
