package taxii

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// The MISP feed of a collection: what a MISP instance subscribes to (its
// "Feeds" with the MISP feed format) and what the intel feeds' misp kind
// reads. Under MISPFeedRoot<collection id>/:
//
//	manifest.json  {event uuid: {Orgc, Tag, info, date, analysis, threat_level_id, timestamp}}
//	<uuid>.json    one event ({"Event": {...}}) per warning list of the collection
//	hashes.csv     md5 of each attribute value, its event uuid
//
// The rights and the markings are the TAXII collection's: the same API
// tokens (HTTP Basic with the e-mail, or Bearer), a collection the caller
// may not read is not found, indicators marked above its max_tlp are left
// out, and an entry for one unit is served only to callers who may see it.

// MISPFeedRoot is the path under which collections are served as MISP feeds.
const MISPFeedRoot = Root + "misp/"

// MISPFeedPath is the feed address a partner is given for a collection.
func MISPFeedPath(id string) string { return MISPFeedRoot + id + "/" }

// mispEvent is one event of a collection's feed: a warning list (list 0:
// every indicator, for an indicators collection).
type mispEvent struct {
	uuid   string
	listID int64
	info   string
	at     time.Time // the latest change: the list's status, an entry added, an indicator changed
	count  int
}

func feedEventUUID(collection string, listID int64) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "vigil:misp-feed:%s:%d", collection, listID)).String()
}

// feedFilter is the condition on indicators (i) and entries (e) a caller
// reads of collection c.
func feedFilter(p *auth.Principal, c *Collection, withEntries bool) (string, []any) {
	var conds []string
	var args []any
	if tlps := tlpsUpTo(c.MaxTLP); len(tlps) < len(format.TLPs) {
		conds = append(conds, "i.tlp IN ("+placeholders(len(tlps))+")")
		args = append(args, anys(tlps)...)
	}
	if withEntries {
		vis, vargs := entryVisible(p, "e")
		conds = append(conds, vis)
		args = append(args, vargs...)
	}
	if len(conds) == 0 {
		return "1=1", nil
	}
	return and(conds), args
}

// feedEvents lists the events of c's feed the caller reads (events with
// nothing visible left out), oldest change first.
func (s *Service) feedEvents(ctx context.Context, p *auth.Principal, c *Collection) ([]mispEvent, error) {
	var out []mispEvent
	if c.Selection == SelectIndicators {
		cond, args := feedFilter(p, c, false)
		var n int
		var at int64
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(i.updated_at), 0) FROM intel_indicators i WHERE `+cond, args...).Scan(&n, &at); err != nil {
			return nil, fmt.Errorf("taxii: misp feed: %w", err)
		}
		if n > 0 {
			out = append(out, mispEvent{uuid: feedEventUUID(c.ID, 0), info: c.Title, at: store.Time(at), count: n})
		}
		return out, nil
	}
	lists, err := s.collectionLists(ctx, c)
	if err != nil {
		return nil, err
	}
	cond, args := feedFilter(p, c, true)
	for _, id := range lists {
		var name, month string
		var version int
		var since int64
		err := s.DB.QueryRow(ctx, `SELECT name, month, version, status_since FROM warning_lists WHERE id = ?`, id).Scan(&name, &month, &version, &since)
		if store.IsNoRows(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("taxii: misp feed: %w", err)
		}
		var n int
		var added, updated int64
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(DISTINCT e.indicator_id), COALESCE(MAX(e.added_at), 0), COALESCE(MAX(i.updated_at), 0)
			FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id WHERE e.list_id = ? AND `+cond,
			append([]any{id}, args...)...).Scan(&n, &added, &updated); err != nil {
			return nil, fmt.Errorf("taxii: misp feed: %w", err)
		}
		if n == 0 {
			continue
		}
		out = append(out, mispEvent{uuid: feedEventUUID(c.ID, id), listID: id, info: listName(name, month, version), at: store.Time(max(since, added, updated)), count: n})
	}
	slices.SortFunc(out, func(a, b mispEvent) int { return a.at.Compare(b.at) })
	return out, nil
}

// feedIndicators reads an event's indicators (one per indicator: the entry
// for every unit first), each carrying its entry's action, severity and
// reason, for each(ind) in indicator order.
func (s *Service) feedIndicators(ctx context.Context, p *auth.Principal, c *Collection, ev mispEvent, each func(format.Indicator) error) error {
	var q string
	var args []any
	if ev.listID == 0 {
		cond, cargs := feedFilter(p, c, false)
		q = `SELECT i.id, '', '', '', ` + indicatorColumns + ` FROM intel_indicators i WHERE ` + cond + ` ORDER BY i.id`
		args = cargs
	} else {
		cond, cargs := feedFilter(p, c, true)
		q = `SELECT i.id, e.action, e.severity, e.reason, ` + indicatorColumns + ` FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id
			WHERE e.list_id = ? AND ` + cond + ` ORDER BY i.id, e.unit_id`
		args = append([]any{ev.listID}, cargs...)
	}
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("taxii: misp feed: %w", err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		var id int64
		var ind format.Indicator
		var tags string
		var first, lastSeen, valid, created, updated int64
		if err := rows.Scan(&id, &ind.Action, &ind.Severity, &ind.Reason, &ind.Kind, &ind.Value, &ind.Source, &ind.Confidence, &ind.TLP,
			&first, &lastSeen, &valid, &tags, &ind.Report, &ind.Comment, &ind.STIXID, &ind.Revoked, &created, &updated); err != nil {
			return err
		}
		if id == last {
			continue // the same indicator for another unit
		}
		last = id
		ind.FirstSeen, ind.LastSeen, ind.ValidUntil = store.Time(first), store.Time(lastSeen), store.Time(valid)
		ind.CreatedAt, ind.UpdatedAt = store.Time(created), store.Time(updated)
		if tags != "" {
			ind.Tags = strings.Split(tags, ",")
		}
		if err := each(ind); err != nil {
			return err
		}
	}
	return rows.Err()
}

// mispFeed serves MISPFeedRoot{collection}/{manifest.json|hashes.csv|<uuid>.json}
// to an authenticated caller.
func (h *handler) mispFeed(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"title": http.StatusText(status), "description": msg})
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		fail(http.StatusMethodNotAllowed, "a MISP feed is read with GET")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, MISPFeedRoot)
	id, file, ok := strings.Cut(rest, "/")
	if !ok || file == "" || strings.Contains(file, "/") {
		fail(http.StatusNotFound, "a MISP feed's files are manifest.json, hashes.csv and <event uuid>.json")
		return
	}
	ctx := r.Context()
	p := auth.FromContext(ctx)
	c, err := loadCollection(ctx, h.s.DB, id)
	var rt Rights
	if err == nil {
		rt, err = h.s.rights(ctx, p, c)
	}
	if err == nil && !rt.Read {
		err = errs.NotFound("TAXII collection")
	}
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == errs.ENOTFOUND {
			fail(http.StatusNotFound, "no such collection, or it is not shared with you")
			return
		}
		h.s.logger().Error("taxii: misp feed", "err", err)
		fail(http.StatusInternalServerError, "the feed could not be read; try again")
		return
	}
	events, err := h.s.feedEvents(ctx, p, c)
	if err != nil {
		h.s.logger().Error("taxii: misp feed", "err", err)
		fail(http.StatusInternalServerError, "the feed could not be read; try again")
		return
	}
	switch {
	case file == "manifest.json":
		m := make(map[string]any, len(events))
		for _, ev := range events {
			m[ev.uuid] = format.MISPManifestEntry(intel.DefaultIssuer, ev.info, ev.at, []string{"tlp:" + c.MaxTLP})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	case file == "hashes.csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		for _, ev := range events {
			err := h.s.feedIndicators(ctx, p, c, ev, func(ind format.Indicator) error {
				sum := md5.Sum([]byte(ind.Value))
				_, err := fmt.Fprintf(w, "%s,%s\n", hex.EncodeToString(sum[:]), ev.uuid)
				return err
			})
			if err != nil {
				h.s.logger().Error("taxii: misp feed hashes", "err", err)
				return
			}
		}
	case strings.HasSuffix(file, ".json"):
		want := strings.ToLower(strings.TrimSuffix(file, ".json"))
		i := slices.IndexFunc(events, func(ev mispEvent) bool { return ev.uuid == want })
		if i < 0 {
			fail(http.StatusNotFound, "no such event in this feed")
			return
		}
		ev := events[i]
		var inds []format.Indicator
		if err := h.s.feedIndicators(ctx, p, c, ev, func(ind format.Indicator) error {
			if _, _, ok := format.MISPType(ind.Kind); ok {
				inds = append(inds, ind)
			}
			return nil
		}); err != nil {
			h.s.logger().Error("taxii: misp feed event", "err", err)
			fail(http.StatusInternalServerError, "the event could not be read; try again")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := format.WriteMISP(w, inds, format.WriteOptions{Identity: intel.DefaultIssuer, Title: ev.info, EventUUID: ev.uuid, Timestamp: ev.at, Published: true}); err != nil {
			h.s.logger().Error("taxii: misp feed event", "err", err)
		}
	default:
		fail(http.StatusNotFound, "a MISP feed's files are manifest.json, hashes.csv and <event uuid>.json")
	}
}
