package web

import (
	"net/http"
	"time"

	"vigil/internal/errs"
)

// Large request bodies (agent inventories, task results, host imports,
// enrolments) are read by at most a few handlers at once: each costs tens
// of megabytes while it is decoded, and a burst of them, honest or not,
// must not take the hub's memory or starve /healthz. A request over
// smallBody bytes (or of unknown length) waits up to bodyGateWait for a
// slot and is otherwise answered 503 with Retry-After, which agents honour
// by retrying later.
const (
	smallBody        = 1 << 20
	bodyGateWait     = 2 * time.Second
	bodyGateRetry    = 10 * time.Second
	defaultBigBodies = 4
)

type bodyGate chan struct{}

// admitBody takes a slot for r's body if it is large, and returns the
// function that gives it back.
func (s *Server) admitBody(r *http.Request) (release func(), err error) {
	if r.ContentLength >= 0 && r.ContentLength <= smallBody {
		return func() {}, nil
	}
	t := time.NewTimer(bodyGateWait)
	defer t.Stop()
	select {
	case s.bigBodies <- struct{}{}:
		return func() { <-s.bigBodies }, nil
	case <-t.C:
	case <-r.Context().Done():
	}
	return nil, &errs.Error{Code: errs.EUNAVAILABLE, RetryAfter: bodyGateRetry,
		Message: "the hub is reading as many large requests as it can; try again shortly"}
}
