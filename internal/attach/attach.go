// Package attach keeps evidence files attached to any object (a finding, a
// warning-list action, an advisory's completion report): the file's name,
// media type, size and SHA-256, and its bytes. An attachment is read-only
// once stored: there is no update and no delete, so what an officer
// handed in as proof stays as it was, and its SHA-256 shows it.
//
// The package checks no rights: its callers own the object and decide who
// may attach to it and read its files, then call Add inside their own
// transaction (with their audit entry) and Get or List after their scope
// check.
package attach

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/errs"
	"vigil/internal/store"
)

// MaxSize is the largest file accepted (the web layer caps the request
// body at a little more).
const MaxSize = 20 << 20

// MaxPerObject bounds the files of one object.
const MaxPerObject = 50

// Attachment is a stored file without its bytes.
type Attachment struct {
	ID          int64     `json:"id"`
	ObjectType  string    `json:"object_type"`
	ObjectID    string    `json:"object_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
	UnitID      int64     `json:"-"`
}

// Input is a file to attach.
type Input struct {
	ObjectType  string
	ObjectID    string
	UnitID      int64 // the unit the object belongs to (0: none)
	Name        string
	ContentType string // "" or generic: guessed from the name and the first bytes
	Data        io.Reader
	By          string // e-mail of who attached it
	At          time.Time
}

// CleanName returns a file name safe to store and to send back in a
// Content-Disposition header: the last path element, control characters
// and quotes removed, at most 200 bytes.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(strings.TrimSpace(name))
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '"' || r == utf8.RuneError {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > 200 {
			break
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" || s == "." || s == "/" || s == ".." {
		return ""
	}
	return s
}

// Add stores one file inside tx. The file is read up to MaxSize+1 bytes: a
// larger one is refused (too_large), as is an empty one or one without a
// name.
func Add(ctx context.Context, tx *store.Tx, in Input) (*Attachment, error) {
	name := CleanName(in.Name)
	if name == "" {
		return nil, errs.Invalid("file", "give the file a name")
	}
	if in.ObjectType == "" || in.ObjectID == "" {
		return nil, fmt.Errorf("attach: no object")
	}
	data, err := io.ReadAll(io.LimitReader(in.Data, MaxSize+1))
	if err != nil {
		return nil, errs.Invalid("file", "the file could not be read: %v", err)
	}
	if len(data) > MaxSize {
		return nil, errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", MaxSize>>20)
	}
	if len(data) == 0 {
		return nil, errs.Invalid("file", "the file %s is empty", name)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM attachments WHERE object_type = ? AND object_id = ?`, in.ObjectType, in.ObjectID).Scan(&n); err != nil {
		return nil, fmt.Errorf("attach: count: %w", err)
	}
	if n >= MaxPerObject {
		return nil, errs.Invalid("file", "at most %d files may be attached to one item", MaxPerObject)
	}
	ct := contentType(name, in.ContentType, data)
	sum := sha256.Sum256(data)
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	a := &Attachment{ObjectType: in.ObjectType, ObjectID: in.ObjectID, UnitID: in.UnitID, Name: name, ContentType: ct,
		Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: in.By, UploadedAt: store.Time(store.Micros(at))}
	err = tx.QueryRow(ctx, `INSERT INTO attachments (object_type, object_id, unit_id, name, content_type, size, sha256, data, uploaded_by, uploaded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.ObjectType, a.ObjectID, a.UnitID, a.Name, a.ContentType, a.Size, a.SHA256, data, a.UploadedBy, store.Micros(at)).Scan(&a.ID)
	if err != nil {
		return nil, fmt.Errorf("attach: add: %w", err)
	}
	return a, nil
}

// contentType keeps a specific declared type, else guesses from the
// name's extension, else from the bytes.
func contentType(name, declared string, data []byte) string {
	declared = strings.TrimSpace(strings.ToLower(declared))
	if mt, _, err := mime.ParseMediaType(declared); err == nil && mt != "application/octet-stream" && len(mt) <= 100 {
		return mt
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	if mt == "" {
		mt = "application/octet-stream"
	}
	return mt
}

const columns = `id, object_type, object_id, unit_id, name, content_type, size, sha256, uploaded_by, uploaded_at`

func scan(sc store.Scanner) (*Attachment, error) {
	var a Attachment
	var at int64
	if err := sc.Scan(&a.ID, &a.ObjectType, &a.ObjectID, &a.UnitID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &at); err != nil {
		return nil, err
	}
	a.UploadedAt = store.Time(at)
	return &a, nil
}

// List returns the files of objects of one type, oldest first, keyed by
// object id (without their bytes).
func List(ctx context.Context, db *store.DB, objectType string, objectIDs ...string) (map[string][]*Attachment, error) {
	out := map[string][]*Attachment{}
	if len(objectIDs) == 0 {
		return out, nil
	}
	for start := 0; start < len(objectIDs); start += 500 {
		ids := objectIDs[start:min(start+500, len(objectIDs))]
		args := []any{objectType}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := db.Query(ctx, `SELECT `+columns+` FROM attachments WHERE object_type = ? AND object_id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`) ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("attach: list: %w", err)
		}
		for rows.Next() {
			a, err := scan(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("attach: list: %w", err)
			}
			out[a.ObjectID] = append(out[a.ObjectID], a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("attach: list: %w", err)
		}
	}
	return out, nil
}

// Get returns one file of an object with its bytes; not found when the
// file is not the object's.
func Get(ctx context.Context, db *store.DB, objectType, objectID string, id int64) (*Attachment, []byte, error) {
	var data []byte
	var at int64
	var a Attachment
	err := db.QueryRow(ctx, `SELECT `+columns+`, data FROM attachments WHERE id = ? AND object_type = ? AND object_id = ?`, id, objectType, objectID).
		Scan(&a.ID, &a.ObjectType, &a.ObjectID, &a.UnitID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &at, &data)
	if store.IsNoRows(err) {
		return nil, nil, errs.NotFound("file " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("attach: get %d: %w", id, err)
	}
	a.UploadedAt = store.Time(at)
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != a.SHA256 || int64(len(data)) != a.Size {
		return nil, nil, fmt.Errorf("attach: file %d does not match its stored SHA-256", id)
	}
	return &a, bytes.Clone(data), nil
}
