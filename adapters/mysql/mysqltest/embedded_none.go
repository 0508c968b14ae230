//go:build !devengines

package mysqltest

import "errors"

// errNoEmbedded says the embedded engine is not linked: it lives behind the
// devengines tag so production binaries never contain it.
var errNoEmbedded = errors.New("mysqltest: built without -tags devengines")

func embeddedDSN() (string, error) { return "", errNoEmbedded }
