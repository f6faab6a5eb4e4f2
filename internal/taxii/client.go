package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client is a TAXII 2.1 client: discovery, API root, collection, then
// the collection's objects page by page with added_after and next. Page
// and answer sizes are bounded.
type Client struct {
	HTTP     *http.Client
	Username string // HTTP Basic user; empty: the password is a bearer token
	Password string
	// PageSize is the limit asked of the server (it may answer fewer);
	// DefaultPageSize when 0.
	PageSize int
}

func (c *Client) header() http.Header {
	h := http.Header{"Accept": {MediaType}}
	switch {
	case c.Username != "":
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(c.Username, c.Password)
		h.Set("Authorization", req.Header.Get("Authorization"))
	case c.Password != "":
		h.Set("Authorization", "Bearer "+c.Password)
	}
	return h
}

func (c *Client) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// get fetches a TAXII resource into v, checking the media type.
func (c *Client) get(ctx context.Context, u string, v any) (http.Header, error) {
	f, err := fetch(ctx, c.client(), u, c.header(), "", "", MaxPageBytes)
	if err != nil {
		return nil, err
	}
	ct := strings.ReplaceAll(strings.ToLower(f.Header.Get("Content-Type")), " ", "")
	if !strings.HasPrefix(ct, "application/taxii+json") {
		return nil, feedErr(ErrFormat, "%s answered %q, not a TAXII 2.1 resource", u, f.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(f.Body, v); err != nil {
		return nil, feedErr(ErrFormat, "%s: not a TAXII resource: %v", u, err)
	}
	return f.Header, nil
}

// Discover reads a server's discovery resource.
func (c *Client) Discover(ctx context.Context, discoveryURL string) (*Discovery, error) {
	var d Discovery
	if _, err := c.get(ctx, discoveryURL, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ResolveRoot finds the API root of a feed: apiRoot when given (an
// absolute URL, or a path resolved against the discovery URL), else the
// server's default API root, else its first.
func (c *Client) ResolveRoot(ctx context.Context, discoveryURL, apiRoot string) (string, error) {
	base, err := url.Parse(discoveryURL)
	if err != nil {
		return "", feedErr(ErrConfig, "bad address %q", discoveryURL)
	}
	if apiRoot == "" {
		d, err := c.Discover(ctx, discoveryURL)
		if err != nil {
			return "", err
		}
		apiRoot = d.Default
		if apiRoot == "" && len(d.APIRoots) > 0 {
			apiRoot = d.APIRoots[0]
		}
		if apiRoot == "" {
			return "", feedErr(ErrConfig, "the server names no API root; set the feed's API root")
		}
	}
	ref, err := url.Parse(apiRoot)
	if err != nil {
		return "", feedErr(ErrConfig, "bad API root %q", apiRoot)
	}
	u := base.ResolveReference(ref)
	if base.Scheme == "https" && u.Scheme != "https" {
		return "", feedErr(ErrConfig, "the API root %s is not https", u)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}

// APIRoot reads an API root resource and checks it speaks TAXII 2.1.
func (c *Client) APIRoot(ctx context.Context, rootURL string) (*APIRootResource, error) {
	var r APIRootResource
	if _, err := c.get(ctx, rootURL, &r); err != nil {
		return nil, err
	}
	for _, v := range r.Versions {
		if strings.ReplaceAll(v, " ", "") == MediaType {
			return &r, nil
		}
	}
	return nil, feedErr(ErrFormat, "the API root %s does not speak TAXII 2.1 (versions %v)", rootURL, r.Versions)
}

// Collection reads a collection resource.
func (c *Client) Collection(ctx context.Context, rootURL, id string) (*CollectionResource, error) {
	var r CollectionResource
	if _, err := c.get(ctx, rootURL+"collections/"+url.PathEscape(id)+"/", &r); err != nil {
		if fe, ok := err.(*FeedError); ok && fe.Kind == ErrStatus && strings.Contains(fe.Detail, "404") {
			return nil, feedErr(ErrConfig, "the server has no collection %s (or it is not shared with this account)", id)
		}
		return nil, err
	}
	return &r, nil
}

// ClientPage is one page of a collection's objects as the server sent it.
type ClientPage struct {
	Envelope
	AddedFirst string // X-TAXII-Date-Added-First
	AddedLast  string // X-TAXII-Date-Added-Last
}

// Objects reads one page of a collection's objects after addedAfter (a
// TAXII timestamp, "" for all) or from next.
func (c *Client) Objects(ctx context.Context, rootURL, id, addedAfter, next string) (*ClientPage, error) {
	q := url.Values{}
	size := c.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	q.Set("limit", strconv.Itoa(min(size, MaxPageSize)))
	if addedAfter != "" {
		q.Set("added_after", addedAfter)
	}
	if next != "" {
		q.Set("next", next)
	}
	var p ClientPage
	h, err := c.get(ctx, rootURL+"collections/"+url.PathEscape(id)+"/objects/?"+q.Encode(), &p.Envelope)
	if err != nil {
		return nil, err
	}
	p.AddedFirst, p.AddedLast = h.Get("X-TAXII-Date-Added-First"), h.Get("X-TAXII-Date-Added-Last")
	return &p, nil
}

// PollResult is what a poll read.
type PollResult struct {
	Objects []json.RawMessage
	Cursor  string // the last X-TAXII-Date-Added-Last seen; the next poll's added_after
	More    bool   // the server has more than maxObjects after the cursor
	Pages   int
}

// Poll reads a collection's objects added after addedAfter, following
// next, up to maxObjects; the cursor is the last page's
// X-TAXII-Date-Added-Last (the caller keeps it for the next poll).
func (c *Client) Poll(ctx context.Context, discoveryURL, apiRoot, collection, addedAfter string, maxObjects int) (*PollResult, error) {
	root, err := c.ResolveRoot(ctx, discoveryURL, apiRoot)
	if err != nil {
		return nil, err
	}
	if _, err := c.APIRoot(ctx, root); err != nil {
		return nil, err
	}
	col, err := c.Collection(ctx, root, collection)
	if err != nil {
		return nil, err
	}
	if !col.CanRead {
		return nil, feedErr(ErrAuth, "the collection %s is not readable with these credentials", collection)
	}
	res := &PollResult{Cursor: addedAfter}
	next := ""
	for {
		p, err := c.Objects(ctx, root, collection, addedAfter, next)
		if err != nil {
			return nil, err
		}
		res.Pages++
		res.Objects = append(res.Objects, p.Objects...)
		if p.AddedLast != "" {
			res.Cursor = p.AddedLast
		}
		if !p.More {
			return res, nil
		}
		if len(res.Objects) >= maxObjects || res.Pages >= 1000 {
			res.More = true
			return res, nil
		}
		if p.Next == "" {
			// A server that pages by added_after only.
			if p.AddedLast == "" || p.AddedLast == addedAfter {
				return nil, feedErr(ErrFormat, "the server says there is more but gives neither next nor X-TAXII-Date-Added-Last")
			}
			addedAfter = p.AddedLast
			continue
		}
		next = p.Next
	}
}
