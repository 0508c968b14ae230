package env

import (
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
)

// dsnPassword matches the password part of a go-sql-driver DSN (user:pass@).
var dsnPassword = regexp.MustCompile(`^([^:@/]*):[^@]*@`)

// Redacted renders a field's value for people: secrets are masked, the
// password inside a DSN too, so settings can be pasted into a ticket.
func (f Field) Redacted() string {
	v := format(f.Value)
	switch {
	case f.Secret == "dsn":
		return dsnPassword.ReplaceAllString(v, "$1:********@")
	case f.Secret != "" && v != "":
		return "********"
	}
	return v
}

func format(v reflect.Value) string {
	if v.Kind() == reflect.Slice {
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// Print writes every setting as KEY=value, secrets redacted, like Django's
// diffsettings: a "###" mark after the ones that differ from the
// environment's defaults. With onlyChanged, unchanged ones are left out.
func Print(w io.Writer, s Settings, onlyChanged bool) error {
	defaults := Fields(Defaults(s.Env))
	for i, f := range Fields(s) {
		changed := !reflect.DeepEqual(f.Value.Interface(), defaults[i].Value.Interface())
		if onlyChanged && !changed {
			continue
		}
		mark := ""
		if changed {
			mark = "  ###"
		}
		if _, err := fmt.Fprintf(w, "%s=%s%s\n", f.Key, f.Redacted(), mark); err != nil {
			return err
		}
	}
	return nil
}
