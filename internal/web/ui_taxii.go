package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/taxii"
)

// The TAXII page (/taxii: what each collection shares, who may read or
// write it, the address to give a partner, a form to add one and grant
// access) and the intel feeds page (/intel/feeds: each feed's last run,
// status since, count and error in words; add, change, run, delete).

type taxiiCollectionView struct {
	*taxii.Collection
	Shares string
}

type taxiiData struct {
	Collections []taxiiCollectionView
	Pager       *pager
	IsAdmin     bool
	Discovery   string // the discovery address on this hub
	How         string // how to connect, with that address
	Lists       []taxii.ListOption
	Selections  []string
	TLPs        []string
	Form        *formState // the new-collection form, refused
	GrantForm   *formState // a grant form, refused
	GrantFor    string     // the collection the grant form was for
}

// baseURL is the hub's address as the browser reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) taxiiData(r *http.Request) (*taxiiData, error) {
	lp, err := readList(r, taxii.CollectionSortKeys)
	if err != nil {
		return nil, err
	}
	cs, total, err := s.TAXII.ListCollections(r.Context(), taxii.CollectionFilter{Query: r.URL.Query().Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit})
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	d := &taxiiData{Pager: newPager(r, lp, len(cs), total), IsAdmin: isAdmin(principalOf(r)), Discovery: baseURL(r) + taxii.Root,
		Selections: taxii.Selections, TLPs: format.TLPs}
	d.How = strings.ReplaceAll(i18n.T(lang, "taxii.how"), "{url}", d.Discovery)
	for _, c := range cs {
		d.Collections = append(d.Collections, taxiiCollectionView{Collection: c, Shares: collectionShares(c, lang)})
	}
	if d.IsAdmin {
		if d.Lists, err = s.TAXII.ListOptions(r.Context()); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) uiTAXII(w http.ResponseWriter, r *http.Request) {
	if lp, err := readList(r, taxii.CollectionSortKeys); err == nil && lp.Format != "" {
		s.apiListTAXIICollections(w, r)
		return
	}
	d, err := s.taxiiData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "taxii", s.newPage(r, "taxii", "taxii.title", d))
}

var taxiiFormFields = []string{"title", "description", "selection", "list_id", "max_tlp", "source", "writable"}

func (s *Server) uiCreateTAXII(w http.ResponseWriter, r *http.Request) {
	text := func(name string) *string { v := r.PostFormValue(name); return &v }
	in := taxii.CollectionInput{Title: text("title"), Description: text("description"), Selection: text("selection"), MaxTLP: text("max_tlp"), Source: text("source")}
	writable := r.PostFormValue("writable") != ""
	in.Writable = &writable
	var err error
	if v := strings.TrimSpace(r.PostFormValue("list_id")); v != "" {
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			err = errs.Invalid("list_id", "name the warning list the collection shares")
		}
		in.ListID = &n
	}
	if err == nil {
		_, err = s.TAXII.CreateCollection(r.Context(), in)
	}
	if err == nil {
		redirectSaved(w, r, "/taxii")
		return
	}
	s.taxiiRefused(w, r, err, func(d *taxiiData) { d.Form = newFormState(r, err, taxiiFormFields...) })
}

func (s *Server) taxiiRefused(w http.ResponseWriter, r *http.Request, err error, set func(*taxiiData)) {
	if !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.taxiiData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	set(d)
	s.render(w, r, statusOf(errs.Code(err)), "taxii", s.newPage(r, "taxii", "taxii.title", d))
}

func (s *Server) uiGrantTAXII(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	who := strings.TrimSpace(r.PostFormValue("who"))
	in := taxii.GrantInput{CanRead: r.PostFormValue("can_read") != "", CanWrite: r.PostFormValue("can_write") != ""}
	if strings.Contains(who, "@") {
		in.User = who
	} else {
		in.Unit = who
	}
	_, err := s.TAXII.GrantAccess(r.Context(), id, in)
	if err == nil {
		redirectSaved(w, r, "/taxii")
		return
	}
	if e, ok := errs.As(err); ok && (e.Field == "user" || e.Field == "unit") {
		c := *e
		c.Field = "who"
		err = &c
	}
	s.taxiiRefused(w, r, err, func(d *taxiiData) {
		d.GrantForm, d.GrantFor = newFormState(r, err, "who", "can_read", "can_write"), id
	})
}

func (s *Server) uiRevokeTAXII(w http.ResponseWriter, r *http.Request) {
	gid, err := strconv.ParseInt(r.PathValue("grantee"), 10, 64)
	if err == nil {
		err = s.TAXII.RevokeAccess(r.Context(), r.PathValue("id"), r.PathValue("kind"), gid)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/taxii")
}

func (s *Server) uiDeleteTAXII(w http.ResponseWriter, r *http.Request) {
	if err := s.TAXII.DeleteCollection(r.Context(), r.PathValue("id")); err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/taxii")
}

// The intel feeds page.

type intelFeedView struct {
	*taxii.Feed
	Status string // in words
	Error  string // in words
}

type intelFeedsData struct {
	Feeds   []intelFeedView
	Pager   *pager
	IsAdmin bool
	Kinds   []string
	TLPs    []string
	Kind    string // the kind filter
	Form    *formState
	Edit    *taxii.Feed // the feed the form changes; nil: a new one
}

func (s *Server) intelFeedsData(r *http.Request) (*intelFeedsData, error) {
	lp, err := readList(r, taxii.FeedSortKeys)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	fs, total, err := s.TAXII.ListFeeds(r.Context(), taxii.FeedFilter{Kind: q.Get("kind"), Status: q.Get("status"), Query: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit})
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	d := &intelFeedsData{Pager: newPager(r, lp, len(fs), total), IsAdmin: isAdmin(principalOf(r)), Kinds: taxii.FeedKinds, TLPs: format.TLPs, Kind: q.Get("kind")}
	for _, f := range fs {
		d.Feeds = append(d.Feeds, intelFeedView{Feed: f, Status: feedStatusText(f, lang), Error: feedErrorText(f.LastError, lang)})
	}
	if id, err := strconv.ParseInt(q.Get("edit"), 10, 64); err == nil && d.IsAdmin {
		if d.Edit, err = s.TAXII.GetFeed(r.Context(), id); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) uiFeedsIntel(w http.ResponseWriter, r *http.Request) {
	if lp, err := readList(r, taxii.FeedSortKeys); err == nil && lp.Format != "" {
		s.apiListFeeds(w, r)
		return
	}
	d, err := s.intelFeedsData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "intel_feeds", s.newPage(r, "ifeeds", "ifeeds.title", d))
}

var feedFormFields = []string{"kind", "name", "description", "url", "api_root", "collection", "username", "secret", "interval_minutes", "target_list", "tlp"}

// feedForm reads the feed form.
func feedForm(r *http.Request) (taxii.FeedInput, error) {
	text := func(name string) *string { v := r.PostFormValue(name); return &v }
	in := taxii.FeedInput{Kind: text("kind"), Name: text("name"), Description: text("description"), URL: text("url"), APIRoot: text("api_root"),
		Collection: text("collection"), Username: text("username"), Secret: text("secret"), TargetList: text("target_list"), TLP: text("tlp")}
	enabled := r.PostFormValue("enabled") != ""
	in.Enabled = &enabled
	if v := strings.TrimSpace(r.PostFormValue("interval_minutes")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, errs.Invalid("interval_minutes", "must be from %d minutes to %d days", taxii.MinInterval, taxii.MaxInterval/(24*60))
		}
		in.IntervalMinutes = &n
	}
	return in, nil
}

func (s *Server) uiSaveFeed(w http.ResponseWriter, r *http.Request) {
	in, err := feedForm(r)
	var edit *taxii.Feed
	if err == nil {
		if id := r.PathValue("id"); id != "" {
			n, perr := strconv.ParseInt(id, 10, 64)
			if perr != nil {
				s.uiError(w, r, errs.NotFound("feed"))
				return
			}
			edit, err = s.TAXII.UpdateFeed(r.Context(), n, in)
			if err != nil && formError(err) {
				edit, _ = s.TAXII.GetFeed(r.Context(), n)
			}
		} else {
			_, err = s.TAXII.CreateFeed(r.Context(), in)
		}
	}
	if err == nil {
		redirectSaved(w, r, "/intel/feeds")
		return
	}
	if !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.intelFeedsData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	d.Form, d.Edit = newFormState(r, err, feedFormFields...), edit
	s.render(w, r, statusOf(errs.Code(err)), "intel_feeds", s.newPage(r, "ifeeds", "ifeeds.title", d))
}

func (s *Server) uiRunFeed(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		_, err = s.TAXII.RunFeed(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/intel/feeds")
}

func (s *Server) uiDeleteFeed(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.TAXII.DeleteFeed(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/intel/feeds")
}
