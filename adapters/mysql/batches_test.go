package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/adapters/mysql/mysqltest"
	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/ports"
)

// The expiry purges delete in batches until none is left, keep what has
// not expired, and two running at once (two instances' schedules) delete
// each row once between them.
func TestPurgesDeleteInBatches(t *testing.T) {
	defer adapter.SetExpiredBatch(3)()
	db := mysqltest.New(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	uid := newUser(t, db)
	sessions := adapter.NewSessionRepository(db)
	idem := adapter.NewIdempotencyRepository(db)
	const expired, live = 20, 2
	for i := range expired + live {
		exp, created := now.Add(-time.Hour), now.Add(-48*time.Hour)
		if i >= expired {
			exp, created = now.Add(time.Hour), now
		}
		if err := sessions.Create(ctx, accounts.Session{TokenHash: fmt.Sprintf("%064d", i), UserID: uid, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		if err := idem.Save(ctx, ports.IdempotencyRecord{UserID: uid, Key: fmt.Sprint("k", i), Fingerprint: fmt.Sprintf("%064d", 0), Response: []byte("{}"), CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var sessN, idemN [2]int64
	var errs [2]error
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err1, err2 error
			sessN[i], err1 = sessions.DeleteExpired(ctx, now)
			idemN[i], err2 = idem.Purge(ctx, now.Add(-24*time.Hour))
			errs[i] = errors.Join(err1, err2)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := sessN[0] + sessN[1]; got != expired {
		t.Errorf("sessions deleted = %d, want %d", got, expired)
	}
	if got := idemN[0] + idemN[1]; got != expired {
		t.Errorf("idempotency records deleted = %d, want %d", got, expired)
	}
	for table, want := range map[string]int{"sessions": live, "idempotency_keys": live} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE user_id = ?", uid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s left = %d, want the %d not expired", table, n, want)
		}
	}
}
