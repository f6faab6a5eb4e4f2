package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"vigil/internal/escalate"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// outcome is what one attempt came to.
type outcome struct {
	detail    string        // what the server said ("HTTP 500 …", "connect: connection refused")
	ok        bool          // delivered
	permanent bool          // refused for good: no retry will change it
	after     time.Duration // the receiver's Retry-After, 0 when none
}

// Deliver sends the due deliveries (at most Batch, four at a time) and
// returns how many were delivered. A delivery claimed by a process that
// died is due again once its claim lapses.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	now := store.Micros(s.now())
	batch := s.Batch
	if batch <= 0 {
		batch = 50
	}
	rows, err := s.DB.Query(ctx, `SELECT id FROM outbox_deliveries WHERE (status = 'pending' AND next_at <= ?) OR (status = 'sending' AND claimed_until < ?)
		ORDER BY next_at, id LIMIT `+strconv.Itoa(batch), now, now)
	if err != nil {
		return 0, fmt.Errorf("outbox: due deliveries: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var (
		mu        sync.Mutex
		delivered int
		firstErr  error
		wg        sync.WaitGroup
		sem       = make(chan struct{}, 4)
	)
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		d, err := s.claim(ctx, id)
		if err != nil {
			firstErr = err
			break
		}
		if d == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ok, err := s.attempt(ctx, d)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				delivered++
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return delivered, firstErr
}

// claim takes delivery id for this process; nil when another has it or
// it is no longer due.
func (s *Service) claim(ctx context.Context, id int64) (*Delivery, error) {
	now := store.Micros(s.now())
	res, err := s.DB.Exec(ctx, `UPDATE outbox_deliveries SET status = 'sending', claimed_by = ?, claimed_until = ?, updated_at = ?
		WHERE id = ? AND ((status = 'pending' AND next_at <= ?) OR (status = 'sending' AND claimed_until < ?))`,
		s.holder(), now+s.lease().Microseconds(), now, id, now, now)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim delivery %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil
	}
	d, err := scanDelivery(s.DB.QueryRow(ctx, deliveryColumns+`, m.body, m.json_body`+deliveryFrom+` WHERE d.id = ?`, id), true)
	if err != nil {
		return nil, fmt.Errorf("outbox: read delivery %d: %w", id, err)
	}
	return d, nil
}

// attempt sends a claimed delivery once and records the attempt; ok
// reports delivery, err a failure to record it.
func (s *Service) attempt(ctx context.Context, d *Delivery) (bool, error) {
	start := s.now()
	var out outcome
	switch d.Channel {
	case ChannelEmail:
		out = s.sendEmail(ctx, d)
	case ChannelHTTP:
		out = s.sendHTTP(ctx, d)
	default:
		out = outcome{detail: "unknown channel " + d.Channel, permanent: true}
	}
	now := s.now()
	took := now.Sub(start)
	status, result, next, lastErr, delivered := StatusDelivered, ResultDelivered, int64(0), "", int64(0)
	detail := i18n.Clip(out.detail, 1000)
	switch {
	case out.ok:
		delivered = store.Micros(now)
	case out.permanent:
		status, result, lastErr = StatusFailed, ResultFailed, detail
	default:
		wait := s.Backoff(d.Attempts + 1)
		if out.after > wait {
			wait = min(out.after, 24*time.Hour)
		}
		status, result, lastErr, next = StatusPending, ResultRetry, detail, store.Micros(now.Add(wait))
		if !d.GiveUpAt.IsZero() && now.Add(wait).After(d.GiveUpAt) {
			status, result, next = StatusFailed, ResultFailed, 0
			lastErr = detail + " — given up after " + strconv.Itoa(d.Attempts+1) + " attempts"
		}
	}
	ctx = context.WithoutCancel(ctx)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var seq int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox_attempts WHERE delivery_id = ?`, d.ID).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox_attempts (delivery_id, seq, at, result, detail, took_ms, holder) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.ID, seq, store.Micros(now), result, detail, took.Milliseconds(), s.holder()); err != nil {
			return err
		}
		// A claim that lapsed while this attempt ran may be another
		// process's now: the attempt is logged, the row left to it.
		_, err := tx.Exec(ctx, `UPDATE outbox_deliveries SET status = ?, attempts = attempts + 1, next_at = ?, last_error = ?, delivered_at = ?,
			claimed_by = '', claimed_until = 0, updated_at = ? WHERE id = ? AND claimed_by = ? AND status = 'sending'`,
			status, next, lastErr, delivered, store.Micros(now), d.ID, s.holder())
		return err
	})
	s.count(d.Channel, result)
	if err != nil {
		s.logger().Warn("outbox attempt not recorded", "delivery", d.ID, "err", err)
		return out.ok, fmt.Errorf("outbox: record attempt on delivery %d: %w", d.ID, err)
	}
	// The log names the delivery and the channel, never the address or
	// a secret.
	if out.ok {
		s.logger().Info("outbox delivered", "delivery", d.ID, "channel", d.Channel, "purpose", d.Purpose, "attempt", d.Attempts+1)
	} else {
		s.logger().Info("outbox not delivered", "delivery", d.ID, "channel", d.Channel, "purpose", d.Purpose, "attempt", d.Attempts+1, "status", status, "err", lastErr)
	}
	return out.ok, nil
}

// files reads a message's attachments.
func (s *Service) files(ctx context.Context, msgID int64) ([]escalate.Attachment, error) {
	rows, err := s.DB.Query(ctx, `SELECT name, content_type, data FROM outbox_files WHERE message_id = ? ORDER BY seq`, msgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []escalate.Attachment
	for rows.Next() {
		var a escalate.Attachment
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Data); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// sendEmail mails the message and its files to one address. The
// Message-ID is the delivery's, the same on every attempt, so a mail
// system that received a message whose acknowledgement was lost can tell
// the second copy for what it is.
func (s *Service) sendEmail(ctx context.Context, d *Delivery) outcome {
	if s.Mail == nil || s.Mail.Addr == "" {
		return outcome{detail: "no SMTP server is configured (vigil serve --smtp-addr): the message waits"}
	}
	files, err := s.files(ctx, d.msgID)
	if err != nil {
		return outcome{detail: "read attachments: " + err.Error()}
	}
	err = s.Mail.Send(ctx, &escalate.Mail{To: []string{d.Target}, Subject: d.Subject, Body: d.body, Attachments: files,
		MessageID: fmt.Sprintf("outbox-%d.%d@vigil", d.ID, d.CreatedAt.UnixMicro()),
		Headers:   map[string]string{"X-Vigil-Outbox": strconv.FormatInt(d.ID, 10), "X-Vigil-Purpose": d.Purpose}})
	if err != nil {
		return outcome{detail: err.Error(), permanent: escalate.IsPermanent(err)}
	}
	return outcome{ok: true, detail: "SMTP 250: accepted by " + s.Mail.Addr}
}

// Headers of an HTTP delivery (besides escalate's signature headers).
const (
	IdempotencyHeader = "Idempotency-Key"
	PurposeHeader     = "X-Vigil-Purpose"
)

// sendHTTP POSTs the message's JSON to the endpoint. The receiver's
// contract (docs/outbox.md): a 2xx answer with an empty body or a JSON
// body accepts the document; anything else is not an acceptance:
//   - a 2xx whose body is not JSON (an HTML page from a proxy or a captive
//     portal, a truncated answer) is retried: it is not the receiver's
//     word, and the Idempotency-Key makes a second copy harmless;
//   - 408, 409 (the same key still being processed), 425 and 429 are
//     retried, after Retry-After when the receiver sends one;
//   - 5xx, timeouts and network errors are retried;
//   - 3xx (a moved endpoint) and any other 4xx are refusals no retry will
//     change: the delivery fails and shows why, for the IT Center to fix
//     the settings and press "retry now".
func (s *Service) sendHTTP(ctx context.Context, d *Delivery) outcome {
	if d.json == "" {
		return outcome{detail: "the message has no JSON document for an HTTP endpoint", permanent: true}
	}
	secret := d.secret
	// The purpose's current secret wins while the endpoint is the same
	// one (the IT Center rotated it); a delivery to an endpoint since
	// replaced keeps the secret it was queued with.
	if r, err := s.recipients(ctx, s.DB, d.Purpose); err == nil && r.HTTPURL == d.Target && r.secret != "" {
		secret = r.secret
	}
	body := []byte(d.json)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Target, bytes.NewReader(body))
	if err != nil {
		return outcome{detail: "bad endpoint address: " + redact(err.Error(), secret), permanent: true}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Vigil-Outbox/1")
	req.Header.Set(IdempotencyHeader, d.key)
	req.Header.Set(PurposeHeader, d.Purpose)
	req.Header.Set(escalate.DeliveryHeader, strconv.FormatInt(d.ID, 10))
	req.Header.Set(escalate.EventHeader, "outbox."+d.Purpose)
	if secret != "" {
		req.Header.Set(escalate.SignatureHeader, escalate.Sign([]byte(secret), s.now(), body))
	}
	resp, err := s.http().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		msg := err.Error()
		if ue != nil && ue.Timeout() {
			msg = "timeout: " + msg
		}
		return outcome{detail: redact(msg, secret)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return classify(resp.StatusCode, resp.Header, raw, secret, s.now())
}

// classify turns a receiver's answer into an outcome (see sendHTTP).
func classify(code int, h http.Header, raw []byte, secret string, now time.Time) outcome {
	head := "HTTP " + strconv.Itoa(code)
	switch {
	case code >= 200 && code < 300:
		text := strings.TrimSpace(string(raw))
		if text == "" {
			return outcome{ok: true, detail: head}
		}
		if !json.Valid([]byte(text)) {
			ct, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
			if ct == "" {
				ct = "no content type"
			}
			return outcome{detail: head + " but the answer is not the receiver's JSON (" + snippet(ct, secret) + "): " + snippet(text, secret)}
		}
		var ans struct {
			ID        any    `json:"id"`
			Reference string `json:"reference"`
		}
		json.Unmarshal([]byte(text), &ans)
		switch {
		case ans.Reference != "":
			head += ", reference " + snippet(ans.Reference, secret)
		case ans.ID != nil:
			head += ", id " + snippet(fmt.Sprint(ans.ID), secret)
		}
		return outcome{ok: true, detail: head}
	case code >= 300 && code < 400:
		return outcome{detail: head + ": the endpoint redirects to " + snippet(h.Get("Location"), secret) + "; set the new address in the settings", permanent: true}
	case code == http.StatusRequestTimeout || code == http.StatusConflict || code == http.StatusTooEarly || code == http.StatusTooManyRequests || code >= 500:
		return outcome{detail: head + " " + snippet(string(raw), secret), after: retryAfter(h.Get("Retry-After"), now)}
	}
	return outcome{detail: head + " " + snippet(string(raw), secret), permanent: true}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// snippet is the start of a receiver's answer on one line, valid UTF-8,
// without the secret.
func snippet(s, secret string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	s = strings.ToValidUTF8(s, "?")
	return redact(s, secret)
}

func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[secret]")
}
