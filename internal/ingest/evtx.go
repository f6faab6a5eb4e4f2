package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"vigil/internal/bus"
	"vigil/internal/detect"
	"vigil/internal/detect/evtx"
	"vigil/internal/errs"
	"vigil/internal/sources"
)

// ReceiveEVTX reads an uploaded EVTX file as it arrives and publishes its
// events (FormatEvent records, bus.EncodeEvent) in batches. Records the
// reader had to skip are counted refused (malformed). On an error some
// batches may already be published: a client that sends the file again
// delivers those events twice, which the pipeline's at-least-once
// delivery allows.
func (s *Service) ReceiveEVTX(ctx context.Context, id sources.Identity, remote string, r io.Reader, name string) (*Result, error) {
	if name == "" {
		name = "upload.evtx"
	}
	rd := evtx.NewReader(r, name)
	res := &Result{}
	t := s.Sources.Tally(id.ID)
	var ev detect.Event
	recs := make([]bus.Record, 0, 1000)
	var arena []byte
	publish := func() error {
		if len(recs) == 0 {
			return nil
		}
		// Each record's Data is a slice of arena, filled before any is
		// taken, so growing arena moved nothing they point to.
		off := 0
		for i := range recs {
			n := len(recs[i].Data)
			recs[i].Data = arena[off : off+n : off+n]
			off += n
		}
		now := time.Now().UTC()
		if err := s.publishWait(ctx, recs, TransportEVTX, 30*time.Second); err != nil {
			return err
		}
		t.Accept(len(recs), now)
		s.Metrics.accept(TransportEVTX, len(recs))
		res.Accepted += len(recs)
		recs, arena = recs[:0], arena[:0]
		return nil
	}
	var readErr error
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		start := len(arena)
		arena = bus.EncodeEvent(arena, &ev)
		if len(arena)-start > bus.MaxRecordBytes {
			arena = arena[:start]
			res.refuse(int(ev.Record), sources.ReasonOversize, "an event larger than a record may be")
			continue
		}
		// Data may point into an arena that append has since moved:
		// publish points it into the final one by its length.
		recs = append(recs, bus.Record{SourceID: id.ID, UnitID: id.UnitID, Format: bus.FormatEvent, Remote: remote, Received: time.Now().UTC(), Data: arena[start:]})
		if len(recs) == cap(recs) || len(arena) >= 4<<20 {
			if err := publish(); err != nil {
				return res, err
			}
		}
	}
	if err := publish(); err != nil {
		return res, err
	}
	st := rd.Stats()
	if st.Skipped > 0 {
		n := int(st.Skipped)
		res.Refused += n
		res.byReason[3] += n // malformed
		for i, e := range st.Errors {
			if i >= maxLineErrors {
				break
			}
			res.Errors = append(res.Errors, LineError{Reason: sources.ReasonMalformed, Message: e.Error()})
		}
	}
	for i, n := range res.byReason {
		t.Refuse(sources.Reasons[i], n)
		s.Metrics.refuse(TransportEVTX, sources.Reasons[i], n)
	}
	if readErr != nil {
		var fe *evtx.FormatError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(readErr, &mbe):
			return res, errs.Errorf(errs.ETOOLARGE, "the file is larger than the limit of %d bytes", mbe.Limit)
		case res.Accepted == 0 && errors.As(readErr, &fe):
			return res, errs.Invalid("", "not an EVTX file: %v", readErr)
		default:
			return res, fmt.Errorf("ingest: read %s: %w", name, readErr)
		}
	}
	return res, nil
}
