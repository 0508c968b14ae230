package memory

import (
	"context"
	"sync"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// UserRepository is the in-memory twin of the MySQL users table: the same
// unique email key and the same error kinds, behind one mutex.
type UserRepository struct {
	mu     sync.Mutex
	byID   map[int64]accounts.User
	byKey  map[string]int64
	lastID int64
}

var _ ports.UserRepository = (*UserRepository)(nil)

// NewUserRepository returns an empty repository.
func NewUserRepository() *UserRepository {
	return &UserRepository{byID: map[int64]accounts.User{}, byKey: map[string]int64{}}
}

// Create inserts u and sets its ID; accounts.ErrEmailTaken (Conflict) when
// the email key is taken.
func (r *UserRepository) Create(_ context.Context, u *accounts.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.byKey[u.EmailKey]; taken {
		return accounts.ErrEmailTaken
	}
	r.lastID++
	u.ID = r.lastID
	r.byID[u.ID] = cloneUser(*u)
	r.byKey[u.EmailKey] = u.ID
	return nil
}

// ByID returns the user; NotFound when absent.
func (r *UserRepository) ByID(_ context.Context, id int64) (accounts.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.byID[id]
	if !ok {
		return accounts.User{}, domain.ErrNotFound
	}
	return cloneUser(u), nil
}

// ByEmailKey returns the user with that key; NotFound when absent.
func (r *UserRepository) ByEmailKey(_ context.Context, key string) (accounts.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.byKey[key]
	if !ok {
		return accounts.User{}, domain.ErrNotFound
	}
	return cloneUser(r.byID[id]), nil
}

// Update applies fn to a copy under the mutex and stores it only when fn
// succeeds. NotFound when absent; ErrEmailTaken when fn moved the email key
// onto another user's.
func (r *UserRepository) Update(_ context.Context, id int64, fn func(*accounts.User) error) (accounts.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.byID[id]
	if !ok {
		return accounts.User{}, domain.ErrNotFound
	}
	u := cloneUser(old)
	if err := fn(&u); err != nil {
		return accounts.User{}, err
	}
	u.ID = id
	if u.EmailKey != old.EmailKey {
		if _, taken := r.byKey[u.EmailKey]; taken {
			return accounts.User{}, accounts.ErrEmailTaken
		}
		delete(r.byKey, old.EmailKey)
		r.byKey[u.EmailKey] = id
	}
	r.byID[id] = cloneUser(u)
	return u, nil
}

// cloneUser copies the one pointer field, so no caller shares state with
// the store.
func cloneUser(u accounts.User) accounts.User {
	if u.LastLogin != nil {
		t := *u.LastLogin
		u.LastLogin = &t
	}
	return u
}
