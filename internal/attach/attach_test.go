package attach_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"vigil/internal/attach"
	"vigil/internal/errs"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// A file comes back byte for byte (zero bytes and all: the {{blob}}
// column on both engines) with its SHA-256; it belongs to its object only.
func TestAttachRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		data := append([]byte("%PDF-1.4\x00\x01\x02\xff"), bytes.Repeat([]byte{0, 0xfe}, 5000)...)
		var a *attach.Attachment
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			a, err = attach.Add(ctx, tx, attach.Input{ObjectType: "finding", ObjectID: "7", Name: `C:\Users\me\Desktop\bao "cao".pdf`, Data: bytes.NewReader(data), By: "a@x"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(data)) || a.Name != "bao cao.pdf" || a.ContentType != "application/pdf" {
			t.Errorf("stored %+v", a)
		}
		got, b, err := attach.Get(ctx, db, "finding", "7", a.ID)
		if err != nil || !bytes.Equal(b, data) || got.SHA256 != a.SHA256 {
			t.Fatalf("read back %v %v (%d bytes)", got, err, len(b))
		}
		if _, _, err := attach.Get(ctx, db, "finding", "8", a.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("another object's file: %v", err)
		}
		m, err := attach.List(ctx, db, "finding", "7", "8")
		if err != nil || len(m["7"]) != 1 || len(m["8"]) != 0 {
			t.Errorf("list: %v %v", m, err)
		}
	})
}

func TestAttachRefusesBadFiles(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	for name, in := range map[string]attach.Input{
		"empty":   {Name: "a.txt", Data: strings.NewReader("")},
		"no name": {Name: "../", Data: strings.NewReader("x")},
		"too big": {Name: "big.bin", Data: bytes.NewReader(make([]byte, attach.MaxSize+1))},
	} {
		in.ObjectType, in.ObjectID = "finding", "1"
		err := db.InTx(ctx, func(tx *store.Tx) error { _, err := attach.Add(ctx, tx, in); return err })
		if c := errs.Code(err); c != errs.EINVALID && c != errs.ETOOLARGE {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCleanName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"a/b/c.png": "c.png", `x\y.txt`: "y.txt", "..": "", "ok\x00\n.txt": "ok.txt", "": ""} {
		if got := attach.CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
