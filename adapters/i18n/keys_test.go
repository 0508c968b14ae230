package i18n

import (
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// messageKeyRe matches the contents of a string literal that names a message.
// A literal ending in "." is a prefix that code completes at run time
// ("title."+kind); the regexp's last character class cannot end there.
var messageKeyRe = regexp.MustCompile(`^((title|error|validation|password|accounts|projects|tasks)\.[a-z0-9_.]*[a-z0-9_])$`)

// repoRoot walks up from this package to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
}

type keyUse struct {
	key string
	pos string
}

// keyLiterals returns every string literal in src that looks like a message
// key. It tokenizes instead of grepping so that keys in comments do not count.
func keyLiterals(name string, src []byte) []keyUse {
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0) // a file that does not compile is the compiler's business
	var uses []keyUse
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return uses
		}
		if tok != token.STRING || !strings.HasPrefix(lit, `"`) {
			continue
		}
		v, err := strconv.Unquote(lit)
		if err != nil || !messageKeyRe.MatchString(v) {
			continue
		}
		uses = append(uses, keyUse{key: v, pos: fset.Position(pos).String()})
	}
}

func TestKeyLiterals(t *testing.T) {
	t.Parallel()
	src := []byte("package p\n// \"error.in_comment\"\nvar a = \"error.not_found\"\nvar b = `tasks.raw`\nvar c = \"title.\" + k\nvar d = \"errors.go\"\n")
	got := keyLiterals("p.go", src)
	if len(got) != 1 || got[0].key != "error.not_found" || got[0].pos != "p.go:3:9" {
		t.Errorf("keyLiterals = %v, want only error.not_found at p.go:3:9", got)
	}
}

// TestRepositoryKeysExist fails when any non-test .go file of the module
// uses a message key the en catalog lacks: a module that adds a key must add
// its translations in the same change.
func TestRepositoryKeysExist(t *testing.T) {
	t.Parallel()
	c := catalog(t)
	root := repoRoot(t)
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	scanned := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			// Hidden folders, testdata and vendor hold no Onit code; a nested
			// module (its own go.mod) is not part of this one.
			if p != root && (p == self || name == "testdata" || name == "vendor" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if p != root {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		scanned++
		rel, _ := filepath.Rel(root, p)
		for _, u := range keyLiterals(rel, src) {
			if !c.Has("en", u.key) {
				t.Errorf("%s: message key %q is not in the en catalog (add it to adapters/i18n/locales/<module>.<lang>.json for every language)", u.pos, u.key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Fatal("scanned no .go files: the walk is broken")
	}
}
