package web

import (
	"context"
	"mime"
	"net/http"
	"strconv"

	"vigil/internal/attach"
)

// serveAttachment sends one evidence file (internal/attach) of the object
// whose id is the path value "id" and whose file number is the path value
// fileParam, as a download — never rendered inline: it is whatever
// someone uploaded — with its SHA-256 in X-Content-SHA256. get reads it
// in the caller's scope; fail answers an error the page's or the API's
// way.
func serveAttachment(w http.ResponseWriter, r *http.Request, fileParam string, get func(ctx context.Context, id, n int64) (*attach.Attachment, []byte, error), fail func(error)) {
	id, err := pathInt(r, "id")
	if err != nil {
		fail(err)
		return
	}
	n, err := pathInt(r, fileParam)
	if err != nil {
		fail(err)
		return
	}
	a, data, err := get(r.Context(), id, n)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	w.Header().Set("X-Content-SHA256", a.SHA256)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}
