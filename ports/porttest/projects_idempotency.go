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
// ErrIdempotencyKeyUsed), get per user, delete when expired, and purge;
// claims: linked to the task created under them, at most one task per
// claim, taken over and released only at the creation time read.
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
	t.Run("claims", func(t *testing.T) {
		u := f.NewUser(t)
		p := f.newProject(t, u)
		key := "c-" + randomHex(t, 8)
		claim := ports.IdempotencyRecord{UserID: u, Key: key, Fingerprint: randomHex(t, 32), CreatedAt: base}
		id, err := r.Idempotency.Claim(ctx, claim)
		if err != nil || id == 0 {
			t.Fatalf("Claim = %d, %v", id, err)
		}
		if _, err := r.Idempotency.Claim(ctx, claim); !errors.Is(err, dp.ErrIdempotencyKeyUsed) {
			t.Fatalf("second Claim = %v, want ErrIdempotencyKeyUsed", err)
		}
		saved := claim
		saved.Response = []byte(`{}`)
		if err := r.Idempotency.Save(ctx, saved); !errors.Is(err, dp.ErrIdempotencyKeyUsed) {
			t.Fatalf("Save over a claim = %v, want ErrIdempotencyKeyUsed", err)
		}
		got, err := r.Idempotency.Get(ctx, u, key)
		if err != nil || got.ID != id || got.Fingerprint != claim.Fingerprint || len(got.Response) != 0 ||
			!got.CreatedAt.Equal(base) || got.TaskID != 0 {
			t.Fatalf("Get(claim) = %+v, %v", got, err)
		}

		// Taken over only at the creation time read: of two requests that
		// read the same stale claim, one wins.
		later := base.Add(time.Minute)
		if ok, err := r.Idempotency.TakeOver(ctx, id, base.Add(time.Second), later); err != nil || ok {
			t.Fatalf("TakeOver at a wrong time = %v, %v; want refused", ok, err)
		}
		if ok, err := r.Idempotency.TakeOver(ctx, id, base, later); err != nil || !ok {
			t.Fatalf("TakeOver = %v, %v", ok, err)
		}
		if ok, err := r.Idempotency.TakeOver(ctx, id, base, later.Add(time.Minute)); err != nil || ok {
			t.Fatalf("second TakeOver from the same time = %v, %v; want refused", ok, err)
		}
		if got, err := r.Idempotency.Get(ctx, u, key); err != nil || !got.CreatedAt.Equal(later) || got.ID != id {
			t.Fatalf("Get after TakeOver = %+v, %v", got, err)
		}

		// The task created under the claim is found with it; a second one is refused.
		tk := dp.Task{ProjectID: p.ID, Title: "claimed", Status: dp.StatusTodo, Priority: dp.PriorityLow,
			CreatedBy: u, CreatedAt: later, UpdatedAt: later, Version: 1}
		if created, err := r.Tasks.CreateIfMember(ctx, &tk, id); err != nil || !created {
			t.Fatalf("CreateIfMember(claim) = %v, %v", created, err)
		}
		twin := tk
		twin.ID = 0
		if created, err := r.Tasks.CreateIfMember(ctx, &twin, id); !errors.Is(err, dp.ErrIdempotencyKeyUsed) || created {
			t.Fatalf("second CreateIfMember(claim) = %v, %v; want ErrIdempotencyKeyUsed", created, err)
		}
		// The membership check comes first: a refused create is not a conflict.
		foreign := twin
		foreign.CreatedBy = f.NewUser(t)
		if created, err := r.Tasks.CreateIfMember(ctx, &foreign, id); err != nil || created {
			t.Fatalf("a non-member's CreateIfMember(claim) = %v, %v; want refused", created, err)
		}
		got, err = r.Idempotency.Get(ctx, u, key)
		if err != nil || got.TaskID != tk.ID || !got.TaskCreatedAt.Equal(later) {
			t.Fatalf("Get(claim with task %d) = %+v, %v", tk.ID, got, err)
		}
		// A deleted task leaves the claim without one; the claim can have a new one.
		if err := r.Tasks.Delete(ctx, tk.ID, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Idempotency.Get(ctx, u, key); err != nil || got.TaskID != 0 {
			t.Fatalf("Get(claim of a deleted task) = %+v, %v", got, err)
		}
		if created, err := r.Tasks.CreateIfMember(ctx, &twin, id); err != nil || !created {
			t.Fatalf("CreateIfMember(claim of a deleted task) = %v, %v", created, err)
		}
		// Records saved with a response are found as they were, without a task.
		old := ports.IdempotencyRecord{UserID: u, Key: "o-" + randomHex(t, 8), Fingerprint: randomHex(t, 32), Response: []byte(`{"ID":1}`), CreatedAt: base}
		if err := r.Idempotency.Save(ctx, old); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Idempotency.Get(ctx, u, old.Key); err != nil || string(got.Response) != `{"ID":1}` || got.TaskID != 0 {
			t.Fatalf("Get(saved) = %+v, %v", got, err)
		}

		// Released only at its creation time; then the key is free.
		key2 := "r-" + randomHex(t, 8)
		claim2 := ports.IdempotencyRecord{UserID: u, Key: key2, Fingerprint: randomHex(t, 32), CreatedAt: base}
		id2, err := r.Idempotency.Claim(ctx, claim2)
		if err != nil {
			t.Fatal(err)
		}
		if id2 == id {
			t.Fatalf("two claims share ID %d", id)
		}
		if err := r.Idempotency.Release(ctx, id2, later); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Idempotency.Get(ctx, u, key2); err != nil {
			t.Fatalf("claim released at another time: %v", err)
		}
		if err := r.Idempotency.Release(ctx, id2, base); err != nil {
			t.Fatal(err)
		}
		_, err = r.Idempotency.Get(ctx, u, key2)
		assertKind(t, "released claim", err, domain.KindNotFound)
		if err := r.Idempotency.Release(ctx, id2, base); err != nil {
			t.Fatalf("Release of a gone claim = %v", err)
		}
		if _, err := r.Idempotency.Claim(ctx, claim2); err != nil {
			t.Fatalf("Claim after Release = %v", err)
		}
	})
}
