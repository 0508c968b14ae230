package cutover

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
)

// Notes are adjustments a user needed to fit Onit's rules; the user is
// imported all the same, and the report counts each kind.
const (
	noteUnusablePassword = "unusable_password"  // Django's "!…": imported, cannot log in with a password
	noteNameFromUsername = "name_from_username" // no name: the Django username is shown instead
	noteNameFromEmail    = "name_from_email"    // no name nor username: the email's local part
	noteNameShortened    = "name_shortened"     // first and last name over Onit's 150 characters
	noteLanguageDefault  = "language_default"   // a language Onit does not offer: the default
	noteJoinedAtImport   = "date_joined_import" // no date_joined column: the import's time
)

// mapped is a Django user turned into an Onit user, or the reason it
// cannot be.
type mapped struct {
	source cutover.SourceUser
	user   accounts.User
	skip   string // a skip reason; empty when user is good
	notes  []string
}

// mapUser applies Onit's registration rules to a Django row: the email is
// normalised as at sign-up (trimmed; unique in any letter case); the name
// is Django's get_full_name(), else the username, else the email's local
// part, cut to Onit's limit; the language is the row's when Onit offers it
// (de-at counts as de), else the default. The password hash, flags and
// dates are copied as they are.
func mapUser(row cutover.SourceUser, defaultLang string, now time.Time) mapped {
	m := mapped{source: row}
	name := strings.TrimSpace(row.Name)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(row.FirstName) + " " + strings.TrimSpace(row.LastName))
	}
	if name == "" && strings.TrimSpace(row.Username) != "" {
		name = strings.TrimSpace(row.Username)
		m.notes = append(m.notes, noteNameFromUsername)
	}
	if name == "" {
		local, _, _ := strings.Cut(accounts.NormalizeEmail(row.Email), "@")
		name = local
		m.notes = append(m.notes, noteNameFromEmail)
	}
	if utf8.RuneCountInString(name) > accounts.MaxNameLength {
		name = strings.TrimSpace(string([]rune(name)[:accounts.MaxNameLength]))
		m.notes = append(m.notes, noteNameShortened)
	}
	lang := language(row.Language)
	if lang == "" {
		if strings.TrimSpace(row.Language) != "" {
			m.notes = append(m.notes, noteLanguageDefault)
		}
		lang = defaultLang
	}
	joined := row.DateJoined
	if joined.IsZero() {
		joined = now
		m.notes = append(m.notes, noteJoinedAtImport)
	}
	u, err := accounts.NewUser(row.Email, name, lang, joined)
	if err != nil {
		m.skip = skipInvalid(err)
		return m
	}
	u.PasswordHash = row.Password
	u.IsActive, u.IsStaff, u.IsSuperuser = row.IsActive, row.IsStaff, row.IsSuperuser
	if row.LastLogin != nil {
		t := row.LastLogin.UTC()
		u.LastLogin = &t
	}
	m.user = u
	return m
}

// language picks the Onit language for a Django language code: the code
// itself or its primary subtag, in any letter case.
func language(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if slices.Contains(accounts.Languages, code) {
		return code
	}
	primary, _, _ := strings.Cut(strings.ReplaceAll(code, "_", "-"), "-")
	if slices.Contains(accounts.Languages, primary) {
		return primary
	}
	return ""
}

// skipInvalid names what made NewUser refuse a row. With the name and
// language already fitted, only the email can be at fault.
func skipInvalid(err error) string {
	de, ok := domain.As(err)
	if !ok {
		return skipInvalidEmail
	}
	for _, f := range de.Fields {
		if f.Field != "email" {
			return "invalid_" + f.Field
		}
	}
	return skipInvalidEmail
}
