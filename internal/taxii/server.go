package taxii

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/errs"
)

// The TAXII 2.1 resources the server answers with (specification
// sections 3 to 5).

// Discovery is the discovery resource (section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRootResource is the API root resource (section 4.2.1).
type APIRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

// CollectionResource is a collection as TAXII describes it (section 5.2.1).
type CollectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Collections is the collections resource (section 5.1.1).
type Collections struct {
	Collections []CollectionResource `json:"collections,omitempty"`
}

// Envelope is the envelope resource (section 3.7).
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ManifestRecord is one object of a manifest (section 5.3.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// Manifest is the manifest resource (section 5.3.1).
type Manifest struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// Versions is the versions resource (section 5.7.1).
type Versions struct {
	More     bool     `json:"more"`
	Versions []string `json:"versions,omitempty"`
}

// ErrorMessage is the error message resource (section 3.6.1).
type ErrorMessage struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status,omitempty"`
}

// Handler serves the TAXII 2.1 API under Root. It authenticates each
// request itself, before reading any body: HTTP Basic with a user's e-mail
// and one of their API tokens as the password, or Authorization: Bearer
// <API token> (a hashed token's lookup; no password hashing per request).
func (s *Service) Handler(a *auth.Service) http.Handler {
	mux := http.NewServeMux()
	h := &handler{s: s, auth: a}
	mux.HandleFunc("GET "+Root+"{$}", h.discovery)
	mux.HandleFunc("GET "+Root+"{root}/{$}", h.apiRoot)
	mux.HandleFunc("GET "+Root+"{root}/collections/{$}", h.collections)
	mux.HandleFunc("GET "+Root+"{root}/collections/{id}/{$}", h.collection)
	mux.HandleFunc("GET "+Root+"{root}/collections/{id}/objects/{$}", h.getObjects)
	mux.HandleFunc("POST "+Root+"{root}/collections/{id}/objects/{$}", h.postObjects)
	mux.HandleFunc("GET "+Root+"{root}/collections/{id}/objects/{oid}/{$}", h.getObject)
	mux.HandleFunc("DELETE "+Root+"{root}/collections/{id}/objects/{oid}/{$}", h.deleteObject)
	mux.HandleFunc("GET "+Root+"{root}/collections/{id}/objects/{oid}/versions/{$}", h.versions)
	mux.HandleFunc("GET "+Root+"{root}/collections/{id}/manifest/{$}", h.manifest)
	mux.HandleFunc("GET "+Root+"{root}/status/{sid}/{$}", h.status)
	mux.HandleFunc(Root, func(w http.ResponseWriter, r *http.Request) {
		taxiiError(w, http.StatusNotFound, "Not found", "no TAXII resource at this address (addresses end with a slash)")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := h.principal(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="Vigil TAXII", charset="UTF-8"`)
			taxiiError(w, http.StatusUnauthorized, "Unauthorized", err.Error())
			return
		}
		if strings.HasPrefix(r.URL.Path, MISPFeedRoot) {
			// A collection's MISP feed (mispfeed.go): the same credentials
			// and rights, plain JSON and CSV files.
			h.mispFeed(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
			return
		}
		if !acceptable(r.Header.Values("Accept")) {
			taxiiError(w, http.StatusNotAcceptable, "Not acceptable", "send Accept: "+MediaType)
			return
		}
		ctx := auth.WithPrincipal(r.Context(), p)
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

type handler struct {
	s    *Service
	auth *auth.Service
}

var errNoCredentials = errors.New("authentication required: HTTP Basic (e-mail and an API token) or Authorization: Bearer <API token>")

// principal authenticates a request: Basic (e-mail, API token) or Bearer
// (API token). Cookies are not credentials here.
func (h *handler) principal(r *http.Request) (*auth.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" || len(header) > 1024 {
		return nil, errNoCredentials
	}
	scheme, cred, _ := strings.Cut(header, " ")
	cred = strings.TrimSpace(cred)
	var email, token string
	switch strings.ToLower(scheme) {
	case "basic":
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return nil, errNoCredentials
		}
		var ok bool
		email, token, ok = strings.Cut(string(b), ":")
		if !ok {
			return nil, errNoCredentials
		}
	case "bearer":
		token = cred
	default:
		return nil, errNoCredentials
	}
	if !strings.HasPrefix(token, auth.TokenPrefix) {
		return nil, errors.New("the password must be one of your API tokens (vgl_...), not your sign-in password")
	}
	p, err := h.auth.TokenPrincipal(r.Context(), token)
	if err != nil {
		return nil, errors.New("the credentials could not be checked; try again")
	}
	if p == nil || p.UserID == 0 || (email != "" && !strings.EqualFold(strings.TrimSpace(email), p.Email)) {
		return nil, errors.New("unknown e-mail or API token, or the token expired or was revoked")
	}
	p.IP = auth.ClientIP(r.Context())
	p.Via = "token"
	return p, nil
}

// acceptable reports whether an Accept header admits TAXII 2.1: the media
// type application/taxii+json with version 2.1 or without a version (the
// latest the server speaks, section 1.6.8).
func acceptable(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != "application/taxii+json" {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			if ver, ok := params["version"]; !ok || ver == "2.1" {
				return true
			}
		}
	}
	return false
}

func writeTAXII(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func taxiiError(w http.ResponseWriter, status int, title, description string) {
	writeTAXII(w, status, ErrorMessage{Title: title, Description: description, HTTPStatus: strconv.Itoa(status)})
}

// fail answers a service error as TAXII does.
func (h *handler) fail(w http.ResponseWriter, err error) {
	e, ok := errs.As(err)
	if !ok {
		h.s.logger().Error("taxii: internal error", "err", err)
		taxiiError(w, http.StatusInternalServerError, "Internal error", "the server could not answer; try again later")
		return
	}
	switch e.Code {
	case errs.EINVALID:
		msg := e.Message
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
		taxiiError(w, http.StatusBadRequest, "Bad request", msg)
	case errs.ENOTFOUND:
		taxiiError(w, http.StatusNotFound, "Not found", e.Message)
	case errs.EFORBIDDEN:
		taxiiError(w, http.StatusForbidden, "Forbidden", e.Message)
	case errs.ETOOLARGE:
		taxiiError(w, http.StatusRequestEntityTooLarge, "Too large", e.Message)
	case errs.EUNAUTHORIZED:
		taxiiError(w, http.StatusUnauthorized, "Unauthorized", e.Message)
	default:
		taxiiError(w, http.StatusInternalServerError, "Internal error", "the server could not answer; try again later")
	}
}

func (h *handler) discovery(w http.ResponseWriter, r *http.Request) {
	writeTAXII(w, http.StatusOK, Discovery{
		Title:       "Vigil TAXII 2.1",
		Description: "Danh sách cảnh báo và chỉ dấu tấn công do Vigil chia sẻ. Warning lists and indicators shared by Vigil.",
		Default:     RootPath(),
		APIRoots:    []string{RootPath()},
	})
}

// root checks the API root of a request.
func (h *handler) root(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("root") != APIRoot {
		taxiiError(w, http.StatusNotFound, "Not found", "no API root "+strconv.Quote(r.PathValue("root")))
		return false
	}
	return true
}

func (h *handler) apiRoot(w http.ResponseWriter, r *http.Request) {
	if !h.root(w, r) {
		return
	}
	writeTAXII(w, http.StatusOK, APIRootResource{
		Title:            "Vigil — tình báo mối đe dọa / threat intelligence",
		Description:      "Các danh sách cảnh báo hằng tháng và chỉ dấu tấn công. The monthly warning lists and indicators.",
		Versions:         []string{MediaType},
		MaxContentLength: MaxContentLength,
	})
}

func resource(c *Collection, rt Rights) CollectionResource {
	return CollectionResource{ID: c.ID, Title: c.Title, Description: c.Description, CanRead: rt.Read, CanWrite: rt.Write, MediaTypes: []string{STIXMediaType}}
}

func (h *handler) collections(w http.ResponseWriter, r *http.Request) {
	if !h.root(w, r) {
		return
	}
	cs, err := h.s.visibleCollections(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	var out Collections
	for _, c := range cs {
		out.Collections = append(out.Collections, resource(c.c, c.r))
	}
	writeTAXII(w, http.StatusOK, out)
}

// load finds the collection of a request and the caller's rights on it;
// a collection the caller has no right on is not found.
func (h *handler) load(w http.ResponseWriter, r *http.Request) (*Collection, Rights, bool) {
	if !h.root(w, r) {
		return nil, Rights{}, false
	}
	p := auth.FromContext(r.Context())
	c, err := loadCollection(r.Context(), h.s.DB, r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return nil, Rights{}, false
	}
	rt, err := h.s.rights(r.Context(), p, c)
	if err != nil {
		h.fail(w, err)
		return nil, Rights{}, false
	}
	if !rt.Read && !rt.Write {
		h.fail(w, errs.NotFound("TAXII collection"))
		return nil, Rights{}, false
	}
	return c, rt, true
}

// readable loads a collection the caller may read.
func (h *handler) readable(w http.ResponseWriter, r *http.Request) (*Collection, bool) {
	c, rt, ok := h.load(w, r)
	if !ok {
		return nil, false
	}
	if !rt.Read {
		taxiiError(w, http.StatusForbidden, "Forbidden", "you may write to this collection but not read it")
		return nil, false
	}
	return c, true
}

func (h *handler) collection(w http.ResponseWriter, r *http.Request) {
	c, rt, ok := h.load(w, r)
	if !ok {
		return
	}
	writeTAXII(w, http.StatusOK, resource(c, rt))
}

// query reads the filters and page of a request (section 3.4).
func query(r *http.Request) (ObjectQuery, error) {
	v := r.URL.Query()
	var q ObjectQuery
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, errs.Invalid("limit", "must be a positive whole number")
		}
		q.Limit = n
	}
	if s := v.Get("added_after"); s != "" {
		t, err := ParseTimestamp(s)
		if err != nil {
			return q, errs.Invalid("added_after", "must be a timestamp such as 2026-01-31T00:00:00.000Z")
		}
		q.AddedAfter = t
	}
	q.Next = v.Get("next")
	list := func(key string) []string {
		var out []string
		for _, x := range v[key] {
			for _, part := range strings.Split(x, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	q.IDs, q.Types, q.Versions, q.SpecVersions = list("match[id]"), list("match[type]"), list("match[version]"), list("match[spec_version]")
	if len(q.IDs) > 100 || len(q.Types) > 20 || len(q.Versions) > 100 || len(q.SpecVersions) > 10 {
		return q, errs.Invalid("match", "too many values in one filter")
	}
	return q, nil
}

func dateHeaders(w http.ResponseWriter, objs []Object) {
	if len(objs) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", Timestamp(objs[0].Added))
	w.Header().Set("X-TAXII-Date-Added-Last", Timestamp(objs[len(objs)-1].Added))
}

func (h *handler) page(w http.ResponseWriter, r *http.Request, objectID string) (*Collection, *ObjectPage, bool) {
	c, ok := h.readable(w, r)
	if !ok {
		return nil, nil, false
	}
	q, err := query(r)
	if err != nil {
		h.fail(w, err)
		return nil, nil, false
	}
	if objectID != "" {
		q.IDs = []string{objectID}
	}
	pg, err := h.s.objects(r.Context(), auth.FromContext(r.Context()), c, q)
	if err != nil {
		h.fail(w, err)
		return nil, nil, false
	}
	return c, pg, true
}

// writeEnvelope writes a page as an envelope: the objects are written
// as they were made (already compact JSON), not encoded again.
func writeEnvelope(w http.ResponseWriter, pg *ObjectPage) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"more":`)
	bw.WriteString(strconv.FormatBool(pg.More))
	if pg.Next != "" {
		bw.WriteString(`,"next":`)
		b, _ := json.Marshal(pg.Next)
		bw.Write(b)
	}
	if len(pg.Objects) > 0 {
		bw.WriteString(`,"objects":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(o.JSON)
		}
		bw.WriteByte(']')
	}
	bw.WriteString("}\n")
	bw.Flush()
}

func (h *handler) getObjects(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.page(w, r, "")
	if !ok {
		return
	}
	dateHeaders(w, pg.Objects)
	writeEnvelope(w, pg)
}

func (h *handler) getObject(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.page(w, r, r.PathValue("oid"))
	if !ok {
		return
	}
	if len(pg.Objects) == 0 && r.URL.Query().Get("next") == "" {
		taxiiError(w, http.StatusNotFound, "Not found", "no object "+strconv.Quote(r.PathValue("oid"))+" in this collection")
		return
	}
	dateHeaders(w, pg.Objects)
	writeEnvelope(w, pg)
}

func (h *handler) versions(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.page(w, r, r.PathValue("oid"))
	if !ok {
		return
	}
	if len(pg.Objects) == 0 && r.URL.Query().Get("next") == "" {
		taxiiError(w, http.StatusNotFound, "Not found", "no object "+strconv.Quote(r.PathValue("oid"))+" in this collection")
		return
	}
	out := Versions{More: pg.More}
	for _, o := range pg.Objects {
		out.Versions = append(out.Versions, o.Version)
	}
	dateHeaders(w, pg.Objects)
	writeTAXII(w, http.StatusOK, out)
}

func (h *handler) manifest(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.page(w, r, "")
	if !ok {
		return
	}
	out := Manifest{More: pg.More, Next: pg.Next}
	for _, o := range pg.Objects {
		out.Objects = append(out.Objects, ManifestRecord{ID: o.ID, DateAdded: Timestamp(o.Added), Version: o.Version, MediaType: STIXMediaType})
	}
	dateHeaders(w, pg.Objects)
	writeTAXII(w, http.StatusOK, out)
}

// deleteObject: the hub's collections are views of its warning lists and
// indicators, which change through the hub's own pages and API, not
// through TAXII (the DELETE endpoint is optional in TAXII 2.1).
func (h *handler) deleteObject(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := h.load(w, r); !ok {
		return
	}
	w.Header().Set("Allow", "GET")
	taxiiError(w, http.StatusMethodNotAllowed, "Method not allowed", "objects are removed from the hub's warning lists in Vigil itself, not over TAXII")
}

func (h *handler) postObjects(w http.ResponseWriter, r *http.Request) {
	c, rt, ok := h.load(w, r)
	if !ok {
		return
	}
	if !rt.Write {
		taxiiError(w, http.StatusForbidden, "Forbidden", "you may read this collection but not write to it")
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, params, err := mime.ParseMediaType(ct); err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		taxiiError(w, http.StatusUnsupportedMediaType, "Unsupported media type", "send Content-Type: "+MediaType)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxContentLength)
	st, err := h.s.writeObjects(r.Context(), c, r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			taxiiError(w, http.StatusRequestEntityTooLarge, "Too large", "the body is larger than max_content_length ("+strconv.Itoa(MaxContentLength)+" bytes)")
			return
		}
		h.fail(w, err)
		return
	}
	writeTAXII(w, http.StatusAccepted, st)
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	if !h.root(w, r) {
		return
	}
	st, err := h.s.status(r.Context(), r.PathValue("sid"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeTAXII(w, http.StatusOK, st)
}

type visible struct {
	c *Collection
	r Rights
}

// visibleCollections are the collections the caller may read or write,
// oldest first (the TAXII collections resource is not paged).
func (s *Service) visibleCollections(ctx context.Context) ([]visible, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT `+collectionColumns+collectionFrom+` ORDER BY c.created_at, c.id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	var cs []*Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []visible
	for _, c := range cs {
		rt, err := s.rights(ctx, p, c)
		if err != nil {
			return nil, err
		}
		if rt.Read || rt.Write {
			out = append(out, visible{c, rt})
		}
	}
	return out, nil
}
