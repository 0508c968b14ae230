// Package accounts holds the accounts module's entities: users and their
// login sessions.
package accounts

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/onitapp/onit/domain"
)

// Limits of the users table's columns (Django's AbstractBaseUser/EmailField sizes).
const (
	MaxEmailLength = 254
	MaxNameLength  = 150
)

// Languages are the languages a user may save; the i18n catalogs carry every
// message in each of them.
var Languages = []string{"en", "es", "fr", "de"}

// Errors of the accounts module. They are values of domain.Error so both
// errors.Is and the kind work after wrapping.
var (
	// ErrEmailTaken: another user has the same email, compared case-insensitively.
	ErrEmailTaken = domain.E(domain.KindConflict, "accounts.email_taken")
	// ErrBadCredentials is the one answer to an unknown email, a wrong password
	// and an inactive user, so a response never tells which emails exist.
	ErrBadCredentials = domain.E(domain.KindUnauthenticated, "accounts.bad_credentials")
	// ErrThrottled: too many login attempts; the caller sets RetryAfter.
	ErrThrottled = domain.E(domain.KindRateLimited, "accounts.throttled")
	// ErrRegisterThrottled: too many sign-ups from one client address.
	ErrRegisterThrottled = domain.E(domain.KindRateLimited, "accounts.register_throttled")
	// ErrPasswordThrottled: too many current-password checks for the account.
	ErrPasswordThrottled = domain.E(domain.KindRateLimited, "accounts.password_throttled")
	// ErrHashBusy: every password-hash worker is taken and the request's
	// deadline came first; the caller sets RetryAfter. It is decided before
	// the password is looked at, so it says nothing about the password.
	ErrHashBusy = domain.E(domain.KindUnavailable, "accounts.busy")
	// ErrCSRF: a cookie-authenticated unsafe request came from another origin.
	ErrCSRF = domain.E(domain.KindForbidden, "accounts.csrf_failed")
	// ErrSessionInvalid: the token is unknown, revoked or expired, or its user
	// can no longer log in.
	ErrSessionInvalid = domain.E(domain.KindUnauthenticated, "accounts.session_invalid")
)

// User is a person who can log in.
type User struct {
	ID           int64
	Email        string // as typed, trimmed; shown to people
	EmailKey     string // normalised form that is unique (case-insensitive)
	Name         string
	PasswordHash string // Django-format encoded hash
	Language     string
	IsActive     bool
	IsStaff      bool
	IsSuperuser  bool
	DateJoined   time.Time
	LastLogin    *time.Time
}

// NormalizeEmail trims the address as typed; this is the form shown to people.
func NormalizeEmail(email string) string { return strings.TrimSpace(email) }

// EmailKey is the form under which an email is unique: trimmed and lowercased
// as a whole. Django lowercases only the domain, but two accounts for
// Ann@x.com and ann@x.com are never what people mean, and the projects module
// looks invitees up by this key.
func EmailKey(email string) string { return strings.ToLower(NormalizeEmail(email)) }

// NewUser builds an active, unprivileged user who joined at now, reporting
// every broken rule on email, name and language at once. The password hash is
// set by the caller after the password validators passed.
func NewUser(email, name, language string, now time.Time) (User, error) {
	email = NormalizeEmail(email)
	name = strings.TrimSpace(name)
	var fields []domain.FieldError
	fields = append(fields, checkEmail(email)...)
	fields = append(fields, checkName(name)...)
	fields = append(fields, checkLanguage(language)...)
	if len(fields) > 0 {
		return User{}, domain.Invalid(fields...)
	}
	return User{
		Email:      email,
		EmailKey:   EmailKey(email),
		Name:       name,
		Language:   language,
		IsActive:   true,
		DateJoined: now.UTC(),
	}, nil
}

// Rename changes the display name under the constructor's rules.
func (u *User) Rename(name string) error {
	name = strings.TrimSpace(name)
	if f := checkName(name); len(f) > 0 {
		return domain.Invalid(f...)
	}
	u.Name = name
	return nil
}

// SetLanguage changes the saved language, which then wins over Accept-Language.
func (u *User) SetLanguage(lang string) error {
	if f := checkLanguage(lang); len(f) > 0 {
		return domain.Invalid(f...)
	}
	u.Language = lang
	return nil
}

// CanLogIn reports whether the user may authenticate (Django's is_active).
func (u User) CanLogIn() bool { return u.IsActive }

func checkEmail(email string) []domain.FieldError {
	switch {
	case email == "":
		return []domain.FieldError{{Field: "email", Code: "required", Key: "accounts.email_required"}}
	case utf8.RuneCountInString(email) > MaxEmailLength:
		return []domain.FieldError{{Field: "email", Code: "max", Key: "accounts.email_too_long", Params: map[string]any{"max": MaxEmailLength}}}
	case !validEmail(email):
		return []domain.FieldError{{Field: "email", Code: "email", Key: "accounts.email_invalid"}}
	}
	return nil
}

// validEmail accepts a bare addr-spec with a dotted (or localhost) domain,
// roughly Django's EmailValidator. net/mail alone would also take
// "Ann <a@x.com>" and quoted local parts with spaces.
func validEmail(email string) bool {
	if strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	local, dom := email[:at], email[at+1:]
	if local == "" || strings.HasPrefix(local, `"`) {
		return false
	}
	if dom == "localhost" {
		return true
	}
	labels := strings.Split(dom, ".")
	if len(labels) < 2 {
		return false
	}
	return !slices.Contains(labels, "")
}

func checkName(name string) []domain.FieldError {
	switch {
	case name == "":
		return []domain.FieldError{{Field: "name", Code: "required", Key: "accounts.name_required"}}
	case utf8.RuneCountInString(name) > MaxNameLength:
		return []domain.FieldError{{Field: "name", Code: "max", Key: "accounts.name_too_long", Params: map[string]any{"max": MaxNameLength}}}
	}
	return nil
}

func checkLanguage(lang string) []domain.FieldError {
	if !slices.Contains(Languages, lang) {
		return []domain.FieldError{{Field: "language", Code: "oneof", Key: "accounts.language_unsupported",
			Params: map[string]any{"languages": strings.Join(Languages, ", ")}}}
	}
	return nil
}
