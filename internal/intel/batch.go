package intel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Big imports send their rows to the database as one JSON array a
// statement, which the database unpacks (SQLite's json_each, PostgreSQL's
// jsonb_array_elements): one bound value for thousands of rows instead
// of fifteen a row, which is what made row-by-row binding the slow part
// (the SQLite driver copies every bound text into C memory and frees it).
// The two engines' statements differ only in that function's name.

// jsonBatch is how many rows one JSON statement carries.
const jsonBatch = 200

// jsonRows is the table function unpacking a JSON array bound as ? on
// the engine of tx; each element is e.value, its fields e.value->>N.
func jsonRows(d store.Dialect) string {
	if d == store.Postgres {
		return "jsonb_array_elements(CAST(? AS jsonb)) e"
	}
	return "jsonb_each(?) e"
}

const upsertJSONSQL = `INSERT INTO intel_indicators (kind, value, source, confidence, tlp, first_seen, last_seen, valid_until, tags, report, comment, stix_id, revoked, created_at, updated_at)
	SELECT e.value->>0, e.value->>1, e.value->>2, CAST(e.value->>3 AS INTEGER), e.value->>4, CAST(e.value->>5 AS BIGINT), CAST(e.value->>6 AS BIGINT),
		CAST(e.value->>7 AS BIGINT), e.value->>8, e.value->>9, e.value->>10, e.value->>11, CAST(e.value->>12 AS INTEGER) = 1, ?, ?
	FROM %s WHERE 1 = 1
	ON CONFLICT (kind, value, source) DO UPDATE SET
		confidence = excluded.confidence, tlp = excluded.tlp, valid_until = excluded.valid_until, tags = excluded.tags,
		comment = excluded.comment, revoked = excluded.revoked, updated_at = excluded.updated_at,
		last_seen = CASE WHEN excluded.last_seen > intel_indicators.last_seen THEN excluded.last_seen ELSE intel_indicators.last_seen END,
		first_seen = CASE WHEN excluded.first_seen < intel_indicators.first_seen THEN excluded.first_seen ELSE intel_indicators.first_seen END,
		report = CASE WHEN excluded.report <> '' THEN excluded.report ELSE intel_indicators.report END`

const entriesJSONSQL = `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, action, severity, reason, added_at)
	SELECT ?, i.id, CAST(e.value->>3 AS BIGINT), e.value->>4, e.value->>5, e.value->>6, ?
	FROM %s JOIN intel_indicators i ON i.kind = e.value->>0 AND i.value = e.value->>1 AND i.source = e.value->>2
	WHERE 1 = 1
	ON CONFLICT (list_id, indicator_id, unit_id) DO UPDATE SET action = excluded.action, severity = excluded.severity, reason = excluded.reason`

// appendJSONString appends s as a JSON string (invalid UTF-8 replaced).
func appendJSONString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// storeJSON upserts the indicators rows names (indexes into inds, each
// identity once), jsonBatch rows a statement.
func (s *Service) storeJSON(ctx context.Context, tx *store.Tx, inds []format.Indicator, rows []int) error {
	now := store.Micros(s.now())
	upsert := fmt.Sprintf(upsertJSONSQL, jsonRows(tx.Dialect()))
	var buf []byte
	for start := 0; start < len(rows); start += jsonBatch {
		part := rows[start:min(start+jsonBatch, len(rows))]
		buf = append(buf[:0], '[')
		for n, i := range part {
			ind := &inds[i]
			if n > 0 {
				buf = append(buf, ',')
			}
			until := int64(0)
			if !ind.ValidUntil.IsZero() {
				until = store.Micros(ind.ValidUntil)
			}
			buf = append(buf, '[')
			buf = appendJSONString(buf, ind.Kind)
			buf = append(buf, ',')
			buf = appendJSONString(buf, ind.Value)
			buf = append(buf, ',')
			buf = appendJSONString(buf, ind.Source)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(ind.Confidence), 10)
			buf = append(buf, ',')
			buf = appendJSONString(buf, ind.TLP)
			for _, t := range []int64{store.Micros(ind.FirstSeen), store.Micros(ind.LastSeen), until} {
				buf = append(buf, ',')
				buf = strconv.AppendInt(buf, t, 10)
			}
			for _, v := range []string{joinTags(ind.Tags), ind.Report, ind.Comment, ind.STIXID} {
				buf = append(buf, ',')
				buf = appendJSONString(buf, v)
			}
			if ind.Revoked {
				buf = append(buf, ",1]"...)
			} else {
				buf = append(buf, ",0]"...)
			}
		}
		buf = append(buf, ']')
		if _, err := tx.Exec(ctx, upsert, now, now, string(buf)); err != nil {
			return fmt.Errorf("intel: store indicators: %w", err)
		}
	}
	return nil
}

// entriesJSON adds the entries of inds (Indicator.ID is the target unit)
// to list listID; keys index inds, each (indicator, unit) once.
func (s *Service) entriesJSON(ctx context.Context, tx *store.Tx, listID int64, inds []format.Indicator, keys []int) error {
	now := store.Micros(s.now())
	q := fmt.Sprintf(entriesJSONSQL, jsonRows(tx.Dialect()))
	var buf []byte
	for start := 0; start < len(keys); start += jsonBatch {
		part := keys[start:min(start+jsonBatch, len(keys))]
		buf = append(buf[:0], '[')
		for n, i := range part {
			ind := &inds[i]
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			buf = appendJSONString(buf, ind.Kind)
			buf = append(buf, ',')
			buf = appendJSONString(buf, ind.Value)
			buf = append(buf, ',')
			buf = appendJSONString(buf, ind.Source)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, ind.ID, 10)
			for _, v := range []string{ind.Action, ind.Severity, ind.Reason} {
				buf = append(buf, ',')
				buf = appendJSONString(buf, v)
			}
			buf = append(buf, ']')
		}
		buf = append(buf, ']')
		if _, err := tx.Exec(ctx, q, listID, now, string(buf)); err != nil {
			return fmt.Errorf("intel: add entries: %w", err)
		}
	}
	return nil
}
