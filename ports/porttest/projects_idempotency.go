package porttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// IdempotencyRepository checks ports.IdempotencyRepository: save (twice is
// ErrIdempotencyKeyUsed), get per user, delete when expired, and purge.
func IdempotencyRepository(t *testing.T, f ProjectsFixture) {
	t.Helper()
	ctx := context.Background()
	r := f.Repos

	t.Run("idempotency records", func(t *testing.T) {
		u := f.NewUser(t)
		key := "k-" + randomHex(t, 8)
		rec := ports.IdempotencyRecord{UserID: u, Key: key, Fingerprint: randomHex(t, 32), Response: []byte(`{"a":1}`), CreatedAt: base}
		if err := r.Idempotency.Save(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if err := r.Idempotency.Save(ctx, rec); !errors.Is(err, dp.ErrIdempotencyKeyUsed) {
			t.Fatalf("second Save = %v, want ErrIdempotencyKeyUsed", err)
		}
		got, err := r.Idempotency.Get(ctx, u, key)
		if err != nil || got.Fingerprint != rec.Fingerprint || string(got.Response) != `{"a":1}` || !got.CreatedAt.Equal(base) {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		_, err = r.Idempotency.Get(ctx, f.NewUser(t), key)
		assertKind(t, "another user's key", err, domain.KindNotFound)
		if err := r.Idempotency.DeleteExpired(ctx, u, key, base); err != nil { // not older than base: kept
			t.Fatal(err)
		}
		if _, err := r.Idempotency.Get(ctx, u, key); err != nil {
			t.Fatalf("fresh record deleted: %v", err)
		}
		if err := r.Idempotency.DeleteExpired(ctx, u, key, base.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		_, err = r.Idempotency.Get(ctx, u, key)
		assertKind(t, "expired record", err, domain.KindNotFound)
		old := rec
		old.Key, old.CreatedAt = "old-"+randomHex(t, 8), base.Add(-48*time.Hour)
		if err := r.Idempotency.Save(ctx, old); err != nil {
			t.Fatal(err)
		}
		if n, err := r.Idempotency.Purge(ctx, base.Add(-24*time.Hour)); err != nil || n < 1 {
			t.Fatalf("Purge = %d, %v", n, err)
		}
		_, err = r.Idempotency.Get(ctx, u, old.Key)
		assertKind(t, "purged record", err, domain.KindNotFound)
	})
}
