//go:build !amd64 || purego

package scan

var haveSHA2x = false

func blocksX1(s *[8]uint32, p *byte, n int)         { panic("scan: no SHA extensions") }
func blocksX2(a, b *[8]uint32, pa, pb *byte, n int) { panic("scan: no SHA extensions") }
