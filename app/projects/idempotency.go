package projects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// runCreate runs a creating use case with optional idempotency. Without a
// key it is one transaction. With one, the record is stored in the same
// transaction right after the create: a concurrent twin's INSERT on the
// unique (user, key) index waits for the first transaction, then fails as a
// duplicate and rolls back its own create, and its request replays the
// stored response. Exactly one of them creates.
func runCreate[T any](ctx context.Context, s *Service, caller int64, key, op string, input any,
	create func(ctx context.Context, r ports.Repos) (T, error)) (T, bool, error) {
	var zero T
	if key == "" {
		var out T
		err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
			var err error
			out, err = create(ctx, r)
			return err
		})
		return out, false, err
	}
	if err := checkKey(key); err != nil {
		return zero, false, err
	}
	fp, err := fingerprint(op, input)
	if err != nil {
		return zero, false, err
	}
	for range 3 { // an expired record is deleted and the create retried
		now := s.now()
		var out T
		err := s.uow.Transact(ctx, func(ctx context.Context, r ports.Repos) error {
			var err error
			if out, err = create(ctx, r); err != nil {
				return err
			}
			body, err := json.Marshal(out)
			if err != nil {
				return domain.Internal(err)
			}
			return r.Idempotency.Save(ctx, ports.IdempotencyRecord{UserID: caller, Key: key, Fingerprint: fp, Response: body, CreatedAt: now})
		})
		if err == nil {
			return out, false, nil
		}
		// The create itself may fail because an earlier request with this
		// key succeeded (the same member added twice: 409): that is a retry
		// too, so any failure looks for a record before it is returned.
		used := errors.Is(err, dp.ErrIdempotencyKeyUsed)
		rec, gerr := s.repos.Idempotency.Get(ctx, caller, key)
		if !used && gerr != nil {
			return zero, false, err
		}
		err = gerr
		switch {
		case domain.IsKind(err, domain.KindNotFound):
			continue // purged between the two statements
		case err != nil:
			return zero, false, err
		case rec.CreatedAt.Before(now.Add(-s.ttl)):
			if err := s.repos.Idempotency.DeleteExpired(ctx, caller, key, now.Add(-s.ttl)); err != nil {
				return zero, false, err
			}
			continue
		case rec.Fingerprint != fp:
			return zero, false, dp.ErrIdempotencyMismatch
		}
		var v T
		if err := json.Unmarshal(rec.Response, &v); err != nil {
			return zero, false, domain.Internal(fmt.Errorf("idempotency record %q: %w", key, err))
		}
		return v, true, nil
	}
	return zero, false, domain.ErrConflict
}

// fingerprint identifies a keyed request: its operation and its input.
func fingerprint(op string, input any) (string, error) {
	in, err := json.Marshal(input)
	if err != nil {
		return "", domain.Internal(err)
	}
	sum := sha256.Sum256(append([]byte(op+"\x00"), in...))
	return hex.EncodeToString(sum[:]), nil
}

func checkKey(key string) error {
	if len(key) > MaxIdempotencyKeyLen {
		return domain.Invalid(domain.FieldError{Field: "Idempotency-Key", Code: "max", Key: "validation.max",
			Params: map[string]any{"param": MaxIdempotencyKeyLen}})
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return domain.Invalid(domain.FieldError{Field: "Idempotency-Key", Code: "printascii", Key: "validation.printascii"})
		}
	}
	return nil
}
