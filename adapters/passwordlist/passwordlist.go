// Package passwordlist provides the common-password list the password
// policy checks against: Django's own list, embedded, or a replacement file
// named in the settings (Django's password_list_path).
//
// The embedded file comes from Debian's python3-django package (Django 3.2,
// BSD-3-Clause, see LICENSE-django.txt) because that copy can be
// redistributed with its licence and re-derived by update.sh; it differs from
// Django 5.1's list in a few hundred entries.
package passwordlist

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sync"

	"github.com/onitapp/onit/domain/password"
)

//go:embed common-passwords.txt.gz
var embedded []byte

// parseDefault runs once per process: the parsed set is read-only and about
// 20,000 entries, so every caller can share it.
var parseDefault = sync.OnceValues(func() (*password.CommonList, error) {
	l, err := password.ParseCommonList(bytes.NewReader(embedded))
	if err != nil {
		return nil, fmt.Errorf("embedded common password list: %w", err)
	}
	return l, nil
})

// Default returns the embedded list, parsed on first use.
func Default() (*password.CommonList, error) {
	return parseDefault()
}

// Load returns the list at path, gzip or plain text, or the embedded list
// when path is empty. Errors name the path.
func Load(path string) (*password.CommonList, error) {
	if path == "" {
		return Default()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("common password list: %w", err)
	}
	defer f.Close()
	l, err := password.ParseCommonList(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}
