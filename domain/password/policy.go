// Package password holds the rules a new password must satisfy: Django 5.1's
// four AUTH_PASSWORD_VALIDATORS (user-attribute similarity, minimum length,
// common password, entirely numeric) with Django's verdicts, codes and order,
// so that a password Django accepted or refused gets the same answer here.
package password

import (
	"unicode/utf8"

	"github.com/onitapp/onit/domain"
)

// Django's defaults and limits.
const (
	// DefaultMinLength is MinimumLengthValidator's default.
	DefaultMinLength = 8
	// DefaultMaxSimilarity is UserAttributeSimilarityValidator's default.
	DefaultMaxSimilarity = 0.7
	// MinMaxSimilarity is the lowest threshold Django accepts; lower ones
	// would reject almost every password.
	MinMaxSimilarity = 0.1
)

// The codes of the four failures, Django's own, so clients written against
// the Django backend keep working.
const (
	CodeTooSimilar      = "password_too_similar"
	CodeTooShort        = "password_too_short"
	CodeTooCommon       = "password_too_common"
	CodeEntirelyNumeric = "password_entirely_numeric"
)

// Field is the input field every FieldError names.
const Field = "password"

// Attribute is a piece of the user's personal information the password must
// not resemble. Name selects the message ("email" or "name"), Value is what
// the user typed.
type Attribute struct {
	Name  string
	Value string
}

// Policy is the set of enabled validators and their options, mirroring
// Django's AUTH_PASSWORD_VALIDATORS. The zero value accepts every password.
type Policy struct {
	// Similarity enables the user-attribute similarity validator.
	Similarity bool
	// MaxSimilarity is its threshold: 0 means Django's default 0.7, values
	// below 0.1 (which Django refuses at start-up) count as 0.1.
	MaxSimilarity float64
	// MinLength is the minimum length in characters; 0 disables the check.
	MinLength int
	// Common is the list of common passwords; nil disables the check.
	Common *CommonList
	// Numeric enables the entirely-numeric validator.
	Numeric bool
}

// Rule describes one enabled validator for help texts; Code is the code of
// the FieldError the validator reports, so a client can tick a rule off.
type Rule struct {
	Code   string
	Key    string
	Params map[string]any
}

// Validate runs every enabled validator and returns all failures in Django's
// order (similarity, length, common, numeric), or nil when pw is acceptable.
// attrs are checked in the order given and only the first similar one is
// reported, as Django stops at the first.
func (p Policy) Validate(pw string, attrs ...Attribute) []domain.FieldError {
	var errs []domain.FieldError
	if p.Similarity {
		if a, ok := similarAttribute(pw, p.maxSimilarity(), attrs); ok {
			errs = append(errs, domain.FieldError{
				Field: Field, Code: CodeTooSimilar, Key: "password.too_similar." + a.Name,
			})
		}
	}
	if p.MinLength > 0 && utf8.RuneCountInString(pw) < p.MinLength {
		errs = append(errs, domain.FieldError{
			Field: Field, Code: CodeTooShort, Key: "password.too_short",
			Params: map[string]any{"min": p.MinLength},
		})
	}
	if p.Common != nil && p.Common.Contains(pw) {
		errs = append(errs, domain.FieldError{Field: Field, Code: CodeTooCommon, Key: "password.too_common"})
	}
	if p.Numeric && pyIsDigits(pw) {
		errs = append(errs, domain.FieldError{Field: Field, Code: CodeEntirelyNumeric, Key: "password.entirely_numeric"})
	}
	return errs
}

// Rules returns the help texts of the enabled validators, in Django's order.
func (p Policy) Rules() []Rule {
	var rules []Rule
	if p.Similarity {
		rules = append(rules, Rule{Code: CodeTooSimilar, Key: "password.help.similarity"})
	}
	if p.MinLength > 0 {
		rules = append(rules, Rule{Code: CodeTooShort, Key: "password.help.min_length", Params: map[string]any{"min": p.MinLength}})
	}
	if p.Common != nil {
		rules = append(rules, Rule{Code: CodeTooCommon, Key: "password.help.common"})
	}
	if p.Numeric {
		rules = append(rules, Rule{Code: CodeEntirelyNumeric, Key: "password.help.numeric"})
	}
	return rules
}

func (p Policy) maxSimilarity() float64 {
	switch {
	case p.MaxSimilarity == 0:
		return DefaultMaxSimilarity
	case !(p.MaxSimilarity >= MinMaxSimilarity): // also catches NaN
		return MinMaxSimilarity
	}
	return p.MaxSimilarity
}

// similarAttribute is UserAttributeSimilarityValidator.validate: the first
// attribute that the password resembles, compared whole and by its parts.
func similarAttribute(pw string, maxSim float64, attrs []Attribute) (Attribute, bool) {
	lpw := []rune(pyLower(pw))
	for _, a := range attrs {
		if a.Value == "" {
			continue
		}
		v := pyLower(a.Value)
		for _, part := range append(splitNonWord(v), v) {
			rp := []rune(part)
			if exceedsMaxLengthRatio(len(lpw), maxSim, len(rp)) {
				continue
			}
			if quickRatio(lpw, rp) >= maxSim {
				return a, true
			}
		}
	}
	return Attribute{}, false
}

// exceedsMaxLengthRatio is Django's helper of the same name: a password ten
// times longer than a short part cannot reach the ratio in a meaningful way,
// so the part is skipped.
func exceedsMaxLengthRatio(pwLen int, maxSim float64, partLen int) bool {
	return pwLen >= 10*partLen && float64(partLen) < maxSim/2*float64(pwLen)
}

// quickRatio is difflib.SequenceMatcher(a=a, b=b).quick_ratio(): twice the
// size of the multiset intersection of the characters over the total length,
// and 1 when both are empty.
func quickRatio(a, b []rune) float64 {
	total := len(a) + len(b)
	if total == 0 {
		return 1
	}
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			avail[r]--
			matches++
		}
	}
	return 2.0 * float64(matches) / float64(total)
}

// splitNonWord is Python's re.split(r"\W+", s): runs of non-word characters
// separate the parts, and a leading or trailing run yields an empty part.
func splitNonWord(s string) []string {
	var parts []string
	start, inRun := 0, false
	for i, r := range s {
		if pyIsWord(r) {
			if inRun {
				start, inRun = i, false
			}
			continue
		}
		if !inRun {
			parts = append(parts, s[start:i])
			inRun = true
		}
	}
	if inRun {
		start = len(s)
	}
	return append(parts, s[start:])
}
