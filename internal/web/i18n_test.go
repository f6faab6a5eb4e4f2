package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/i18n"
)

// TestEveryServiceErrorIsTranslated walks the source for every errs.New,
// Invalid, Conflict, Forbidden and Errorf call and fails on a format
// without a Vietnamese text in internal/i18n/errors.go, or a field
// without a name (field.<name> in messages.go): such a message would reach
// a Vietnamese page in English.
func TestEveryServiceErrorIsTranslated(t *testing.T) {
	formatArg := map[string]int{"New": 2, "Invalid": 1, "Conflict": 1, "Forbidden": 0, "Errorf": 1}
	fieldArg := map[string]int{"New": 1, "Invalid": 0, "Conflict": 0}
	root := filepath.Join("..", "..")
	calls := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "errs" {
				return true
			}
			i, ok := formatArg[sel.Sel.Name]
			if !ok || len(call.Args) <= i {
				return true
			}
			calls++
			if lit, ok := call.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				format, _ := strconv.Unquote(lit.Value)
				if !i18n.HasErrorFormat(format) {
					t.Errorf("%s: errs.%s format %q has no Vietnamese text in internal/i18n/errors.go", fset.Position(lit.Pos()), sel.Sel.Name, format)
				}
			}
			if j, ok := fieldArg[sel.Sel.Name]; ok {
				if lit, ok := call.Args[j].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					field, _ := strconv.Unquote(lit.Value)
					if _, ok := i18n.FieldLabel("vi", field); field != "" && !ok {
						t.Errorf("%s: field %q has no name (field.%s in internal/i18n/messages.go)", fset.Position(lit.Pos()), field, field)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 100 {
		t.Fatalf("found only %d errs calls: is the walk looking at the source?", calls)
	}
}
