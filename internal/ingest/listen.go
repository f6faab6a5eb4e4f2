package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"vigil/internal/bus"
	"vigil/internal/sources"
)

// Addrs are the syslog listen addresses; an empty one is off.
type Addrs struct {
	UDP, TCP, TLS string
	// TLSConfig serves TLS (its certificate); required with TLS.
	TLSConfig *tls.Config
}

// Listeners are the running syslog listeners.
type Listeners struct {
	UDP, TCP, TLS net.Addr // bound addresses (nil when off)

	cancel  context.CancelFunc
	closers []func() error
	wg      sync.WaitGroup
}

// Close stops the listeners and waits for their connections to end.
func (l *Listeners) Close() error {
	l.cancel()
	for _, c := range l.closers {
		c()
	}
	l.wg.Wait()
	return nil
}

// Listen binds the listeners a gives and serves them until ctx ends or
// Close is called.
func (s *Service) Listen(ctx context.Context, a Addrs) (*Listeners, error) {
	ctx, cancel := context.WithCancel(ctx)
	l := &Listeners{cancel: cancel}
	fail := func(err error) (*Listeners, error) {
		l.Close()
		return nil, err
	}
	if a.UDP != "" {
		pc, err := net.ListenPacket("udp", a.UDP)
		if err != nil {
			return fail(fmt.Errorf("syslog UDP: listen on %s: %w", a.UDP, err))
		}
		uc := pc.(*net.UDPConn)
		l.UDP = uc.LocalAddr()
		l.closers = append(l.closers, uc.Close)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			s.serveUDP(ctx, uc)
		}()
		s.Logger.Info("syslog listening", "transport", "udp", "addr", l.UDP.String())
	}
	for _, t := range []struct {
		addr, transport string
		bound           *net.Addr
	}{{a.TCP, TransportTCP, &l.TCP}, {a.TLS, TransportTLS, &l.TLS}} {
		if t.addr == "" {
			continue
		}
		if t.transport == TransportTLS && a.TLSConfig == nil {
			return fail(errors.New("syslog TLS: a certificate and key are needed (--tls-cert, --tls-key)"))
		}
		ln, err := net.Listen("tcp", t.addr)
		if err != nil {
			return fail(fmt.Errorf("syslog %s: listen on %s: %w", t.transport, t.addr, err))
		}
		*t.bound = ln.Addr()
		l.closers = append(l.closers, ln.Close)
		var cfg *tls.Config
		if t.transport == TransportTLS {
			cfg = a.TLSConfig
		}
		l.wg.Add(1)
		go func(transport string) {
			defer l.wg.Done()
			s.acceptLoop(ctx, ln, transport, cfg, &l.wg)
		}(t.transport)
		s.Logger.Info("syslog listening", "transport", t.transport, "addr", ln.Addr().String())
	}
	go func() {
		<-ctx.Done()
		for _, c := range l.closers {
			c()
		}
	}()
	return l, nil
}

func (s *Service) acceptLoop(ctx context.Context, ln net.Listener, transport string, cfg *tls.Config, wg *sync.WaitGroup) {
	var conns sync.Map // net.Conn -> struct{}: closed when ctx ends
	go func() {
		<-ctx.Done()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	}()
	backoff := 5 * time.Millisecond
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, do not spin.
			s.Logger.Warn("syslog accept failed", "transport", transport, "err", err)
			time.Sleep(backoff)
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if s.conns.Add(1) > int64(s.MaxConns) {
			s.conns.Add(-1)
			s.Metrics.connRefused.Inc()
			c.Close()
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Minute)
		}
		conns.Store(c, struct{}{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.conns.Add(-1)
			defer conns.Delete(c)
			defer c.Close()
			g := s.Metrics.connections.WithLabelValues(transport)
			g.Inc()
			defer g.Dec()
			if cfg != nil {
				tc := tls.Server(c, cfg)
				hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := tc.HandshakeContext(hctx)
				cancel()
				if err != nil {
					s.Metrics.refuse(transport, sources.ReasonMalformed, 1)
					return
				}
				s.serveStream(ctx, tc, remoteAddr(c.RemoteAddr()), transport)
				return
			}
			s.serveStream(ctx, c, remoteAddr(c.RemoteAddr()), transport)
		}()
	}
}

func remoteAddr(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// conn is what serveStream reads: a TCP or TLS connection.
type conn interface {
	Read([]byte) (int, error)
	SetReadDeadline(time.Time) error
}

// refusals counts a round's refused frames by reason.
type refusals struct {
	n      [8]int
	sample []byte // the first unknown sender's frame (copied)
}

func (r *refusals) add(reason string) {
	for i, v := range sources.Reasons {
		if v == reason {
			r.n[i]++
			return
		}
	}
}

// settle charges a round's counts: to the source when there is one, to
// ingest's own counters and the unknown senders otherwise.
func (s *Service) settle(transport string, id sources.Identity, known bool, addr netip.Addr, r *refusals) {
	var t *sources.Tally
	if known {
		t = s.Sources.Tally(id.ID)
	}
	for i, n := range r.n {
		if n == 0 {
			continue
		}
		reason := sources.Reasons[i]
		s.Metrics.refuse(transport, reason, n)
		switch {
		case reason == sources.ReasonUnknownSender:
			s.Sources.NoteUnknownSender(addr, n, r.sample)
			s.Sources.Count("refused_"+reason, int64(n))
		case t != nil:
			t.Refuse(reason, n)
		default:
			s.Sources.Count("refused_"+reason, int64(n))
		}
	}
	*r = refusals{}
}

// serveStream reads syslog frames from one connection, publishing what it
// has before reading more.
func (s *Service) serveStream(ctx context.Context, c conn, peer netip.AddrPort, transport string) {
	addr := peer.Addr().Unmap()
	remote := addr.String()
	f := getFramer(c, s.MaxLine)
	defer putFramer(f)
	recs := make([]bus.Record, 0, min(s.MaxBatch, 256))
	var ref refusals
	var partialSince time.Time
	for {
		id, known := s.Sources.MatchSender(addr)
		now := time.Now().UTC()
		got, st := 0, frameOK
		for len(recs) < s.MaxBatch {
			var frame []byte
			frame, st = f.next()
			if st == frameNeedRead {
				break
			}
			got++
			switch st {
			case frameOversize:
				ref.add(sources.ReasonOversize)
				continue
			case frameBad:
				ref.add(sources.ReasonMalformed)
				continue
			}
			if len(frame) == 0 {
				continue
			}
			if !known {
				if ref.sample == nil {
					ref.sample = append([]byte(nil), frame[:min(len(frame), 200)]...)
				}
				ref.add(sources.ReasonUnknownSender)
				continue
			}
			if reason := classify(frame); reason != "" {
				ref.add(reason)
				continue
			}
			format := bus.FormatText
			if isJSONObject(frame) {
				format = bus.FormatJSON
			}
			recs = append(recs, bus.Record{SourceID: id.ID, UnitID: id.UnitID, Format: format, Remote: remote, Received: now, Data: frame})
		}
		if len(recs) > 0 {
			if err := s.publishWait(ctx, recs, transport, 0); err != nil {
				if ctx.Err() == nil {
					s.Logger.Warn("syslog: publish failed; connection closed", "transport", transport, "remote", remote, "err", err)
				}
				return
			}
			s.Sources.Tally(id.ID).Accept(len(recs), now)
			s.Metrics.accept(transport, len(recs))
			clear(recs) // drop the references into the buffer
			recs = recs[:0]
		}
		s.settle(transport, id, known, addr, &ref)
		if st != frameNeedRead {
			continue // the batch filled up: more frames wait in the buffer
		}
		// A frame begun must finish within FrameTimeout; between frames
		// the connection may idle for IdleTimeout.
		deadline := now.Add(s.IdleTimeout)
		if f.buffered() {
			if got > 0 || partialSince.IsZero() {
				partialSince = now
			}
			deadline = partialSince.Add(s.FrameTimeout)
		} else {
			partialSince = time.Time{}
		}
		c.SetReadDeadline(deadline)
		if err := f.fill(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				why := "idle"
				if f.buffered() {
					why = "slow"
				}
				s.Metrics.timeouts.WithLabelValues(why).Inc()
			}
			return
		}
	}
}

var framers sync.Pool

func getFramer(r conn, maxLine int) *framer {
	if f, ok := framers.Get().(*framer); ok && f.maxLine == maxLine {
		f.reset(r)
		return f
	}
	return newFramer(r, maxLine)
}

func putFramer(f *framer) {
	f.r = nil
	framers.Put(f)
}
