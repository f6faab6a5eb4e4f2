package org

import (
	"context"
	"errors"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/datafile"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestParseUnitsCSVErrors(t *testing.T) {
	cases := []struct {
		name, csv    string
		line, column int
		field        string
	}{
		{"empty", "", 1, 0, ""},
		{"unknown column", "code,name,kind,colour\n", 1, 4, ""},
		{"missing kind", "code,name\nX,Y\n", 1, 0, ""},
		{"blank name", "code,name,kind,parent\nA1,Alpha,province,\nA2,,district,A1\n", 3, 2, "name"},
		{"bad kind", "code,name,kind,parent\nA1,Alpha,planet,\n", 2, 3, "kind"},
		{"bad code", "name,code,kind\nAlpha,a b,province\n", 2, 2, "code"},
		{"duplicate", "code,name,kind\nA1,x,province\na1,y,province\n", 3, 1, "code"},
		{"short row", "code,name,kind,parent\nA1,x\n", 2, 3, "kind"},
		{"bad quote", "code,name,kind\nA1,\"x,province\n", 2, 0, ""},
		{"bad utf8", "code,name,kind\nA1,\xff\xfe,province\n", 2, 2, "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseUnitsCSV("units.csv", strings.NewReader(c.csv))
			var ie *datafile.Error
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *datafile.Error", err)
			}
			if ie.Line != c.line || ie.Column != c.column || ie.Field != c.field {
				t.Errorf("got line %d column %d field %q (%v); want %d %d %q", ie.Line, ie.Column, ie.Field, ie, c.line, c.column, c.field)
			}
			if !strings.Contains(ie.Error(), "units.csv") {
				t.Errorf("error %q does not name the file", ie)
			}
		})
	}
	rows, err := ParseUnitsCSV("ok.csv", strings.NewReader("\xef\xbb\xbfcode,name,kind,parent\r\nA2,Huyện,district,A1\r\nA1,Tỉnh,province,\r\n"))
	if err != nil || len(rows) != 2 || rows[0].Name != "Huyện" {
		t.Fatalf("BOM/CRLF file: %v %+v", err, rows)
	}
}

func TestImportUnitsAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		s := &Service{DB: db}
		if _, err := s.EnsureRoot(ctx); err != nil {
			t.Fatal(err)
		}
		// Children before parents in the file are fine.
		rows, err := ParseUnitsCSV("u.csv", strings.NewReader("code,name,kind,parent\nD1,Huyện một,district,P1\nP1,Tỉnh một,province,BHXHVN\n"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.ImportUnits(ctx, "u.csv", rows)
		if err != nil || res.Created != 2 {
			t.Fatalf("import: %+v %v", res, err)
		}
		// A bad row at the end: nothing of the file is kept.
		rows, _ = ParseUnitsCSV("bad.csv", strings.NewReader("code,name,kind,parent\nP2,Tỉnh hai,province,BHXHVN\nD2,Huyện hai,district,NOPE\n"))
		_, err = s.ImportUnits(ctx, "bad.csv", rows)
		var ie *datafile.Error
		if !errors.As(err, &ie) || ie.Line != 3 || ie.Column != 4 || ie.Field != "parent" {
			t.Fatalf("bad parent: %v", err)
		}
		if _, err := s.GetUnit(ctx, "P2"); err == nil {
			t.Fatal("P2 was kept from a failed import")
		}
		// Importing again updates rather than duplicates.
		rows, _ = ParseUnitsCSV("u.csv", strings.NewReader("code,name,kind,parent\nP1,Tỉnh Một (mới),province,BHXHVN\n"))
		res, err = s.ImportUnits(ctx, "u.csv", rows)
		if err != nil || res.Updated != 1 || res.Created != 0 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		u, _ := s.GetUnit(ctx, "P1")
		if u.Name != "Tỉnh Một (mới)" {
			t.Fatalf("name after update %q", u.Name)
		}
		// Search folds accents on stored names.
		found, _, _ := s.ListUnits(ctx, UnitFilter{Query: "tinh mot"})
		if len(found) != 1 {
			t.Fatalf("accent-insensitive search found %d", len(found))
		}
	})
}

func FuzzParseUnitsCSV(f *testing.F) {
	f.Add("code,name,kind,parent\nA1,Alpha,province,\n")
	f.Add("\xef\xbb\xbfcode,name,kind\n\"a\"\"b\",x,district\n")
	f.Add("code,name,kind,parent\nA1,\"unterminated\n")
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := ParseUnitsCSV("fuzz.csv", strings.NewReader(data))
		var de *datafile.Error
		if err != nil && (!errors.As(err, &de) || de.File != "fuzz.csv") {
			t.Fatalf("error without its place: %v (%T)", err, err)
		}
		if err == nil {
			for _, r := range rows {
				if r.Validate() != nil {
					t.Fatalf("accepted an invalid row %+v", r)
				}
			}
		}
	})
}

func TestParseUnitsCSVHeaderNames(t *testing.T) {
	// A template saved with Vietnamese headers and semicolons (Excel in a
	// Vietnamese locale) reads the same as the English one.
	rows, err := ParseUnitsCSV("donvi.csv", strings.NewReader("Mã đơn vị;Tên đơn vị;Loại;Đơn vị cha\nP1;Tỉnh một;province;BHXHVN\n"))
	if err != nil || len(rows) != 1 || rows[0].Code != "P1" || rows[0].Parent != "BHXHVN" || rows[0].Columns["parent"] != 4 {
		t.Fatalf("%v %+v", err, rows)
	}
	_, err = ParseUnitsCSV("units.csv", strings.NewReader("code,name,kind\nA1,Alpha,planet\n"))
	if err == nil || !strings.HasPrefix(err.Error(), `units.csv:2:3: field "kind": `) {
		t.Errorf("message: %v", err)
	}
}
