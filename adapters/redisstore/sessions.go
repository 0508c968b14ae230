package redisstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// tombstoneTTL is how long a revoked session's key keeps a tombstone. It
// must outlast the longest gap between a request reading the session from
// MySQL and writing it back here (bounded by the request timeout, 10 s by
// default); see SessionCache.
const tombstoneTTL = time.Minute

// Value formats. The first byte tells them apart; a value of an unknown
// version (written by another release during a rolling deploy) reads as a
// miss, so the reader reloads from MySQL instead of failing.
const (
	tombstone  byte = 0
	sessionV1  byte = 1
	maxSession      = 1 + 3*binary.MaxVarintLen64
)

// SessionCache keeps copies of sessions in Redis, one key per session
// (Keys.Session), expiring when the session does.
//
// Revocation must not be undone by a request that read the session from
// MySQL just before it was deleted and writes it back here just after. So
// Delete does not delete: it overwrites the key with a short-lived
// tombstone, and Set only writes keys that do not exist (SET NX). That is
// safe because a session never changes after it is created (expiry is not
// sliding), so an existing entry is already the right one.
//
// Errors from Redis come back wrapped as domain.Unavailable; callers are
// expected to fall back to the repository, which is the truth.
type SessionCache struct {
	c redis.UniversalClient
	k Keys
}

var _ ports.SessionCache = (*SessionCache)(nil)

// NewSessionCache returns a session cache storing under k's keys.
func NewSessionCache(c redis.UniversalClient, k Keys) *SessionCache {
	return &SessionCache{c: c, k: k}
}

// Get returns the cached session and true on a hit. A missing key, a
// tombstone or a value in an unknown format is a miss. The caller still
// checks ExpiresAt, as for the repository.
func (s *SessionCache) Get(ctx context.Context, hash string) (accounts.Session, bool, error) {
	b, err := s.c.Get(ctx, s.k.Session(hash)).Bytes()
	if errors.Is(err, redis.Nil) {
		return accounts.Session{}, false, nil
	}
	if err != nil {
		return accounts.Session{}, false, domain.Unavailable(fmt.Errorf("redis: get session: %w", err))
	}
	sess, ok, err := decodeSession(b)
	if err != nil {
		// Reported rather than read as a miss, because it means a bug: the
		// caller falls back to MySQL each time (its Set cannot overwrite the
		// value) until the key's TTL removes it.
		return accounts.Session{}, false, domain.Internal(fmt.Errorf("redis: session %s: %w", s.k.Session(hash), err))
	}
	if !ok {
		return accounts.Session{}, false, nil
	}
	sess.TokenHash = hash
	return sess, true, nil
}

// Set stores sess until its ExpiresAt, unless the key already holds it or a
// tombstone. An already expired session is not stored. The TTL is computed
// from this process's clock, the one ExpiresAt was set by, and sent as a
// relative PX so that the Redis server's clock does not matter.
func (s *SessionCache) Set(ctx context.Context, sess accounts.Session) error {
	ttl := time.Until(sess.ExpiresAt)
	if ttl < time.Millisecond {
		return nil
	}
	if err := s.c.SetNX(ctx, s.k.Session(sess.TokenHash), encodeSession(sess), ttl).Err(); err != nil {
		return domain.Unavailable(fmt.Errorf("redis: set session: %w", err))
	}
	return nil
}

// Delete replaces each session with a tombstone, in one pipeline of
// single-key SETs: a multi-key DEL would span cluster slots.
func (s *SessionCache) Delete(ctx context.Context, hashes ...string) error {
	if len(hashes) == 0 {
		return nil
	}
	dead := []byte{tombstone}
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range hashes {
			p.Set(ctx, s.k.Session(h), dead, tombstoneTTL)
		}
		return nil
	})
	if err != nil {
		return domain.Unavailable(fmt.Errorf("redis: revoke %d session(s): %w", len(hashes), err))
	}
	return nil
}

// encodeSession packs the session (the key carries the hash) into at most
// 31 bytes: version, user ID, created and expires in Unix microseconds,
// MySQL's DATETIME(6) precision, so a cached copy equals the stored one.
func encodeSession(s accounts.Session) []byte {
	b := make([]byte, 1, maxSession)
	b[0] = sessionV1
	b = binary.AppendVarint(b, s.UserID)
	b = binary.AppendVarint(b, s.CreatedAt.UnixMicro())
	b = binary.AppendVarint(b, s.ExpiresAt.UnixMicro())
	return b
}

// decodeSession reverses encodeSession. ok is false for a tombstone or an
// unknown version; err reports a value that claims to be V1 but is not.
func decodeSession(b []byte) (s accounts.Session, ok bool, err error) {
	if len(b) == 0 || b[0] != sessionV1 {
		return s, false, nil
	}
	var v [3]int64
	rest := b[1:]
	for i := range v {
		n := 0
		v[i], n = binary.Varint(rest)
		if n <= 0 {
			return s, false, errors.New("truncated session value")
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return s, false, errors.New("trailing bytes after session value")
	}
	s.UserID = v[0]
	s.CreatedAt = time.UnixMicro(v[1]).UTC()
	s.ExpiresAt = time.UnixMicro(v[2]).UTC()
	return s, true, nil
}
