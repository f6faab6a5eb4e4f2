package ingest

import (
	"encoding/binary"
	"net"
	"syscall"
)

// kernelDrops reads the socket's drop counter that Linux attaches to each
// datagram once SO_RXQ_OVFL is on: datagrams the kernel discarded because
// the socket buffer was full, since the socket was opened.
type kernelDrops struct{ last uint32 }

func watchKernelDrops(pc *net.UDPConn) *kernelDrops {
	raw, err := pc.SyscallConn()
	if err != nil {
		return nil
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
	}); err != nil || serr != nil {
		return nil
	}
	return &kernelDrops{}
}

// note returns how many more datagrams the kernel dropped since the last
// control message.
func (k *kernelDrops) note(oob []byte) uint32 {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			v := binary.NativeEndian.Uint32(m.Data)
			d := v - k.last
			k.last = v
			return d
		}
	}
	return 0
}
