// Package layout checks the dependency direction that the README's Layout
// section and each package's comment state: cmd → web → handlers / gateway
// → views / models, and nothing back.
package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "latchkey/"

// allowed lists, for every package of the module, the module's packages
// its non-test files may import. A package missing here fails the test, so
// a new package has to take its place in the direction on purpose.
var allowed = map[string][]string{
	"cmd/latchkey":          {"certrotate", "config", "internal/storeopts", "models", "notify", "web"},
	"web":                   {"config", "gateway", "handlers", "metrics", "models", "static", "throttle", "views"},
	"handlers":              {"models", "pki", "throttle", "views"},
	"gateway":               {"metrics", "models", "pki", "throttle"},
	"views":                 {"models", "pki", "static"},
	"notify":                {"config", "metrics", "models", "models/ledger"},
	"certrotate":            {"models"},
	"metrics":               {"models"},
	"models":                {"models/migrations", "pki"},
	"models/ledger":         {"models"},
	"models/migrations":     nil,
	"pki":                   nil,
	"throttle":              nil,
	"config":                nil,
	"static":                nil,
	"internal/testdb":       nil,
	"internal/benchfixture": {"models"},
	"internal/deps":         nil,
	"internal/storeopts":    {"config", "models"},
	"bench/tokenload":       {"config", "internal/storeopts", "models", "pki", "web"},
	"bench/loginload":       {"config", "internal/storeopts", "models", "web"},
	"e2e":                   nil,
}

func TestDependencyDirection(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if strings.HasPrefix(p, module) {
				imports[pkg][strings.TrimPrefix(p, module)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 10 {
		t.Fatalf("found only %d packages under %s: is the walk looking in the right place?", len(imports), root)
	}
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s is not in the layout table: give it its place in the dependency direction", pkg)
			continue
		}
		for imp := range imports[pkg] {
			if !slices.Contains(ok, imp) {
				t.Errorf("%s imports %s, against the dependency direction (allowed: %v)", pkg, imp, ok)
			}
		}
	}
}
