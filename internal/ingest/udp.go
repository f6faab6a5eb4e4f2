package ingest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"vigil/internal/bus"
	"vigil/internal/sources"
)

// Syslog over UDP: one message per datagram, no acknowledgement and no
// way to push back. The reader copies datagrams into a batch and hands
// full batches (or every udpFlush) to a publisher through a queue of
// UDPQueue batches; when the queue is full the batch is dropped and
// counted, as the kernel counts what its socket buffer could not hold.

const (
	udpFlush      = 20 * time.Millisecond
	udpBatchBytes = 1 << 20
	udpRecvBuffer = 8 << 20
)

type udpBatch struct {
	recs   []bus.Record
	data   []byte
	counts map[int64]int // accepted per source
	first  time.Time
}

func (s *Service) newUDPBatch() *udpBatch {
	return &udpBatch{recs: make([]bus.Record, 0, s.MaxBatch), data: make([]byte, 0, udpBatchBytes), counts: map[int64]int{}}
}

func (b *udpBatch) reset() {
	clear(b.recs)
	b.recs, b.data, b.first = b.recs[:0], b.data[:0], time.Time{}
	clear(b.counts)
}

func (s *Service) serveUDP(ctx context.Context, pc *net.UDPConn) {
	pc.SetReadBuffer(udpRecvBuffer)
	kernel := watchKernelDrops(pc)
	queue := make(chan *udpBatch, s.UDPQueue)
	free := make(chan *udpBatch, s.UDPQueue+2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range queue {
			s.publishUDP(ctx, b)
			b.reset()
			select {
			case free <- b:
			default:
			}
		}
	}()
	defer func() {
		close(queue)
		<-done
	}()
	get := func() *udpBatch {
		select {
		case b := <-free:
			return b
		default:
			return s.newUDPBatch()
		}
	}
	cur := get()
	flush := func() {
		if len(cur.recs) == 0 {
			return
		}
		select {
		case queue <- cur:
			cur = get()
		default:
			n := len(cur.recs)
			s.Metrics.udpDropped.WithLabelValues("queue").Add(float64(n))
			s.Sources.Count("udp_queue_dropped", int64(n))
			cur.reset()
		}
	}
	buf := make([]byte, 64<<10)
	oob := make([]byte, 128)
	names := map[netip.Addr]string{} // remote address text, cached
	var ref refusals
	for {
		if len(cur.recs) > 0 {
			pc.SetReadDeadline(cur.first.Add(udpFlush))
		} else {
			pc.SetReadDeadline(time.Time{})
		}
		n, oobn, _, peer, err := pc.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				flush()
				continue
			}
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				flush()
				return
			}
			s.Logger.Warn("syslog UDP: read failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if kernel != nil && oobn > 0 {
			if d := kernel.note(oob[:oobn]); d > 0 {
				s.Metrics.udpDropped.WithLabelValues("kernel").Add(float64(d))
				s.Sources.Count("udp_kernel_dropped", int64(d))
			}
		}
		addr := peer.Addr().Unmap()
		frame := trimFrame(buf[:n])
		if len(frame) == 0 {
			continue
		}
		id, known := s.Sources.MatchSender(addr)
		if !known {
			ref.sample = frame[:min(len(frame), 200)]
			ref.add(sources.ReasonUnknownSender)
			s.settle(TransportUDP, id, false, addr, &ref)
			continue
		}
		if reason := classify(frame); reason != "" {
			ref.add(reason)
			s.settle(TransportUDP, id, true, addr, &ref)
			continue
		}
		if len(cur.data)+len(frame) > cap(cur.data) {
			flush()
		}
		remote, ok := names[addr]
		if !ok {
			if len(names) >= 4096 {
				clear(names)
			}
			remote = addr.String()
			names[addr] = remote
		}
		now := time.Now().UTC()
		if len(cur.recs) == 0 {
			cur.first = now
		}
		start := len(cur.data)
		cur.data = append(cur.data, frame...)
		format := bus.FormatText
		if isJSONObject(frame) {
			format = bus.FormatJSON
		}
		cur.recs = append(cur.recs, bus.Record{SourceID: id.ID, UnitID: id.UnitID, Format: format, Remote: remote, Received: now, Data: cur.data[start:len(cur.data):len(cur.data)]})
		cur.counts[id.ID]++
		if len(cur.recs) == cap(cur.recs) || now.Sub(cur.first) >= udpFlush {
			flush()
		}
	}
}

// publishUDP publishes a batch; a full bus drops it (UDP cannot push
// back), counted as refused for that reason.
func (s *Service) publishUDP(ctx context.Context, b *udpBatch) {
	bb := s.currentBus()
	var err error
	if bb == nil {
		err = errNoBus
	} else {
		err = bb.Publish(ctx, b.recs)
	}
	at := b.first
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("syslog UDP: publish failed; datagrams dropped", "records", len(b.recs), "err", err)
		}
		s.Metrics.refuse(TransportUDP, sources.ReasonFull, len(b.recs))
		for id, n := range b.counts {
			s.Sources.Tally(id).Refuse(sources.ReasonFull, n)
		}
		return
	}
	s.Metrics.accept(TransportUDP, len(b.recs))
	for id, n := range b.counts {
		s.Sources.Tally(id).Accept(n, at)
	}
}
