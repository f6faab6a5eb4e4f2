package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/export"
	"vigil/internal/i18n"
)

// Every list — a page or an API endpoint — pages both ways, says its true
// total, sorts by its useful columns and exports what it shows (filters and
// order applied) as CSV or XLSX. This file holds that shape once:
// readList reads ?sort=&order=&cursor=&offset=&limit=&format=, a pager
// renders "1–100 of 218" with previous/next and sortable headers, and
// exportList streams every matching row to a file.

// listParams are a list's paging, order and export format.
type listParams struct {
	Offset int
	Limit  int
	Sort   string // one of the list's sort keys; "" is its default order
	Desc   bool
	Format string // "", "csv" or "xlsx"
}

// maxExportRows caps one export; a bigger one asks for narrower filters.
const maxExportRows = 100_000

// readList reads the list parameters; sorts are the list's sort keys.
func readList(r *http.Request, sorts []string) (listParams, error) {
	q := r.URL.Query()
	p := listParams{Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return p, errs.Invalid("limit", "must be a number from 1 to 1000")
		}
		p.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errs.Invalid("offset", "must be a number of rows, 0 or more")
		}
		p.Offset = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := decodeOffset(v)
		if err != nil {
			return p, err
		}
		p.Offset = n
	}
	if v := q.Get("sort"); v != "" {
		if !slices.Contains(sorts, v) {
			return p, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", v, strings.Join(sorts, ", "))
		}
		p.Sort = v
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		p.Desc = true
	default:
		return p, errs.Invalid("order", "must be asc or desc")
	}
	if v := q.Get("format"); v != "" && v != "html" && v != "json" {
		if !slices.Contains(export.Formats, v) {
			return p, errs.Invalid("format", "must be csv or xlsx")
		}
		p.Format = v
	}
	return p, nil
}

// Offsets travel as opaque cursors ("next" in API answers) so clients
// follow them without knowing how lists are paged.
func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(n)))
}

func decodeOffset(s string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'o' {
		return 0, errs.Invalid("cursor", "is not a cursor this server issued")
	}
	n, err := strconv.Atoi(string(b[1:]))
	if err != nil || n < 0 {
		return 0, errs.Invalid("cursor", "is not a cursor this server issued")
	}
	return n, nil
}

// pageResponse is every paged API list's shape: the items, the true total
// and cursors to the neighbouring pages ("" at either end).
type pageResponse[T any] struct {
	Items  []T    `json:"items"`
	Total  int    `json:"total"`
	Offset int    `json:"offset"`
	Next   string `json:"next"`
	Prev   string `json:"prev"`
	// TotalCapped says total is a lower bound: more rows match than were
	// counted (the audit log counts at most 10,000 past the page).
	TotalCapped bool `json:"total_capped,omitempty"`
}

func writePage[T any](w http.ResponseWriter, p listParams, items []T, total int) {
	writePageCapped(w, p, items, total, false)
}

// writePageCapped is writePage for a list whose count may stop short:
// capped says more than total rows match.
func writePageCapped[T any](w http.ResponseWriter, p listParams, items []T, total int, capped bool) {
	if items == nil {
		items = []T{}
	}
	resp := pageResponse[T]{Items: items, Total: total, Offset: p.Offset, TotalCapped: capped}
	if p.Offset+len(items) < total {
		resp.Next = encodeOffset(p.Offset + p.Limit)
	}
	if p.Offset > 0 {
		resp.Prev = encodeOffset(max(p.Offset-p.Limit, 0))
	}
	writeJSON(w, http.StatusOK, resp)
}

// pager is what a list page's template needs to show where it is, move
// both ways, sort and export.
type pager struct {
	From, To, Total int
	Capped          bool   // Total is a lower bound: "more than"
	Prev, Next      string // URLs; "" when there is no such page
	Sort            string
	Desc            bool
	CSV, XLSX       string // export URLs of what is shown
	lang            string
	path            string
	query           url.Values
}

func newPager(r *http.Request, p listParams, shown, total int) *pager {
	q := r.URL.Query()
	for _, k := range []string{"cursor", "offset", "flash", "format"} {
		q.Del(k)
	}
	pg := &pager{Total: total, Sort: p.Sort, Desc: p.Desc, lang: langOf(r), path: r.URL.Path, query: q}
	if shown > 0 {
		pg.From, pg.To = p.Offset+1, p.Offset+shown
	}
	if p.Offset > 0 {
		pg.Prev = pg.url(map[string]string{"offset": strconv.Itoa(max(p.Offset-p.Limit, 0))})
	}
	if p.Offset+shown < total {
		pg.Next = pg.url(map[string]string{"offset": strconv.Itoa(p.Offset + p.Limit)})
	}
	pg.CSV = pg.url(map[string]string{"format": "csv"})
	pg.XLSX = pg.url(map[string]string{"format": "xlsx"})
	return pg
}

func (pg *pager) url(set map[string]string) string {
	q := url.Values{}
	for k, v := range pg.query {
		q[k] = v
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return pg.path
	}
	return pg.path + "?" + q.Encode()
}

// SortURL is the link of a column header: sort by it, or reverse the order
// when it is the current sort. The page goes back to the first.
func (pg *pager) SortURL(key string) string {
	order := "asc"
	if pg.Sort == key && !pg.Desc {
		order = "desc"
	}
	return pg.url(map[string]string{"sort": key, "order": order, "offset": ""})
}

// Lang is the page's language, for the pager's own words.
func (pg *pager) Lang() string { return pg.lang }

// Arrow marks the current sort column.
func (pg *pager) Arrow(key string) string {
	if pg.Sort != key {
		return ""
	}
	if pg.Desc {
		return " ▼"
	}
	return " ▲"
}

// Summary is "1–100 / 218" in words of the page's language.
func (pg *pager) Summary() string {
	if pg.Total == 0 {
		return i18n.T(pg.lang, "list.none")
	}
	key := "list.range"
	if pg.Capped {
		key = "list.range_more"
	}
	return fmt.Sprintf(i18n.T(pg.lang, key), i18n.Number(pg.From, pg.lang), i18n.Number(pg.To, pg.lang), i18n.Number(pg.Total, pg.lang))
}

// exportLang is the language of an export: ?lang= when it names one, the
// reader's otherwise.
func exportLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "vi" {
		return l
	}
	return langOf(r)
}

// exportColumn is one column of an export: its header's message key and
// the cell of a row.
type exportColumn[T any] struct {
	Header string
	Cell   func(T) string
}

// exportList writes every row the list's filters select (in its order) as
// CSV or XLSX: fetch returns one page at an offset and the total.
func exportList[T any](w http.ResponseWriter, r *http.Request, p listParams, name string, cols []exportColumn[T],
	fetch func(offset, limit int) ([]T, int, error)) error {
	lang := exportLang(r)
	first, total, err := fetch(0, 1000)
	if err != nil {
		return err
	}
	if total > maxExportRows {
		return errs.Errorf(errs.ETOOLARGE, "%d rows is more than one export holds (%d): narrow the filters", total, maxExportRows)
	}
	file := fmt.Sprintf("%s-%s.%s", name, time.Now().In(i18n.Location).Format("2006-01-02"), p.Format)
	w.Header().Set("Content-Type", export.ContentType(p.Format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.Header().Set("Cache-Control", "no-store")
	out, err := export.New(p.Format, w, name)
	if err != nil {
		return err
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = i18n.T(lang, c.Header)
	}
	out.Write(header)
	rows, offset := first, 0
	for {
		for _, row := range rows {
			rec := make([]string, len(cols))
			for i, c := range cols {
				rec[i] = c.Cell(row)
			}
			if err := out.Write(rec); err != nil {
				return nil // the client went away; nothing more to say
			}
		}
		offset += len(rows)
		if len(rows) == 0 || offset >= total {
			break
		}
		if rows, _, err = fetch(offset, 1000); err != nil {
			// The status line is sent; say in the file itself that it is
			// short, rather than end it as if it were whole.
			logger(r).Error("export", "list", name, "rows_written", offset, "err", err)
			out.Write([]string{fmt.Sprintf(i18n.T(lang, "list.export_cut"), offset, total)})
			break
		}
	}
	out.Flush()
	return nil
}
