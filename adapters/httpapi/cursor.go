package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/onitapp/onit/domain"
)

// Cursors are opaque and tamper-evident: base64url(JSON payload) "."
// base64url(MAC), where the MAC is HMAC-SHA256 (truncated to 128 bits) under
// a key derived from the secret key, over the list's scope and the payload.
// The scope names the list the cursor belongs to (its parent ID, order and
// filters), so a cursor replayed on another project, order or filter is
// rejected like a forged one: 400, never someone else's rows. The payload
// holds only the last row's sort values, nothing secret.
type cursorCodec struct{ key []byte }

// maxCursorLen bounds what is decoded; real cursors are under 120 bytes.
const maxCursorLen = 512

// cursorPayload is the position after the last row of a page: the ID and
// the sort value of the list's order (unix microseconds, a date or a
// priority).
type cursorPayload struct {
	ID       int64  `json:"i"`
	Micros   int64  `json:"t,omitempty"`
	Date     string `json:"d,omitempty"`
	Priority string `json:"p,omitempty"`
}

var errBadCursor = func() *domain.Error {
	e := domain.Invalid(domain.FieldError{Field: "cursor", Code: "cursor", Key: "validation.cursor"})
	e.Kind = domain.KindBadRequest
	return e
}()

func newCursorCodec(secretKey string) cursorCodec {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte("onit cursor v1")) // domain separation: this key signs nothing else
	return cursorCodec{key: m.Sum(nil)}
}

func (c cursorCodec) mac(scope string, body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:16]
}

// encode signs p for the list named by scope.
func (c cursorCodec) encode(scope string, p cursorPayload) string {
	body, _ := json.Marshal(p) // ints and strings always marshal
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(c.mac(scope, body))
}

// decode verifies s for scope; anything malformed, forged or from another
// list is errBadCursor.
func (c cursorCodec) decode(scope, s string) (cursorPayload, error) {
	if len(s) > maxCursorLen {
		return cursorPayload{}, errBadCursor
	}
	b64body, b64mac, ok := strings.Cut(s, ".")
	if !ok {
		return cursorPayload{}, errBadCursor
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64body)
	mac, err2 := base64.RawURLEncoding.DecodeString(b64mac)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, c.mac(scope, body)) {
		return cursorPayload{}, errBadCursor
	}
	var p cursorPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.ID <= 0 {
		return cursorPayload{}, errBadCursor
	}
	return p, nil
}
