//go:build !linux

package ingest

import "net"

// kernelDrops is Linux's; elsewhere the kernel's drops are not read.
type kernelDrops struct{}

func watchKernelDrops(pc *net.UDPConn) *kernelDrops { return nil }

func (k *kernelDrops) note(oob []byte) uint32 { return 0 }
