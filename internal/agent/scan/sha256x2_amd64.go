//go:build amd64 && !purego

package scan

import "golang.org/x/sys/cpu"

// haveSHA2x: the CPU has the instructions of sha256x2_amd64.s (SHA
// extensions, and AVX enabled by the OS for the VEX forms).
var haveSHA2x = cpu.X86.HasAVX && cpu.X86.HasSSE41 && cpu.X86.HasSSSE3 && hasSHA()

// hasSHA reports the SHA extensions: CPUID leaf 7, EBX bit 29
// (golang.org/x/sys/cpu does not export it).
func hasSHA() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<29) != 0
}

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// blocksX1 hashes the n 64-byte blocks at p into the state s.
//
//go:noescape
func blocksX1(s *[8]uint32, p *byte, n int)

// blocksX2 hashes n blocks at pa into a and n blocks at pb into b,
// interleaved.
//
//go:noescape
func blocksX2(a, b *[8]uint32, pa, pb *byte, n int)
