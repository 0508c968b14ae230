package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync/atomic"

	"github.com/onitapp/onit/domain/accounts"
)

// userBodySlots is how many users' encoded representations an instance
// keeps: a few hundred kilobytes at most, and a miss only costs the
// encoding it saves.
const userBodySlots = 1024

// userView is every field of a user that reaches its JSON, in a comparable
// form (timestamps are shown to the second): two users with equal views
// encode to the same bytes.
type userView struct {
	id                  int64
	email, name, lang   string
	staff, hasLastLogin bool
	joined, lastLogin   int64
}

func viewOf(u accounts.User) userView {
	v := userView{id: u.ID, email: u.Email, name: u.Name, lang: u.Language, staff: u.IsStaff, joined: u.DateJoined.Unix()}
	if u.LastLogin != nil {
		v.hasLastLogin, v.lastLogin = true, u.LastLogin.Unix()
	}
	return v
}

type encodedUser struct {
	view userView
	blob []byte // the JSON and a newline, as c.JSON would send it; never written to
	tag  string
}

// userBodies remembers the last encoding of each user, one slot per user
// id modulo its size, so GET /me, which every page of the web app calls,
// does not marshal and hash the same user again. A slot is replaced
// whole, so readers never see half an entry, and it is used only when
// every shown field is equal, so a changed user is never answered from it.
type userBodies struct {
	slots [userBodySlots]atomic.Pointer[encodedUser]
}

// get returns the user's representation (the JSON with a trailing
// newline) and its ETag.
func (b *userBodies) get(u accounts.User) (blob []byte, tag string) {
	v := viewOf(u)
	slot := &b.slots[uint64(u.ID)%userBodySlots]
	if e := slot.Load(); e != nil && e.view == v {
		return e.blob, e.tag
	}
	body, tag := userBody(u)
	e := &encodedUser{view: v, blob: append(body[:len(body):len(body)], '\n'), tag: tag}
	slot.Store(e)
	return e.blob, e.tag
}

// userBody is the user's JSON representation and its ETag, encoded once:
// the tag is a hash of exactly the bytes sent.
func userBody(u accounts.User) (body []byte, tag string) {
	b, _ := json.Marshal(userFromDomain(u))
	sum := sha256.Sum256(b)
	return b, `"user-` + hex.EncodeToString(sum[:16]) + `"`
}
