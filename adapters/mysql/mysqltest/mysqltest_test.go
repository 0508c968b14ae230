package mysqltest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/onitapp/onit/adapters/mysql/mysqltest"
)

// TestNewIsolatesParallelTests gives parallel tests their own migrated
// databases, checks none sees another's rows, and that each database is
// dropped when its test ends.
func TestNewIsolatesParallelTests(t *testing.T) {
	ctx := context.Background()
	names := make([]string, 8)
	t.Run("group", func(t *testing.T) {
		for i := range names {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := mysqltest.New(t)
				if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&names[i]); err != nil {
					t.Fatal(err)
				}
				email := fmt.Sprintf("u%d@example.com", i)
				if _, err := db.ExecContext(ctx,
					"INSERT INTO users (email, email_key, password, date_joined) VALUES (?, ?, '!', UTC_TIMESTAMP(6))", email, email); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Errorf("database %s has %d users, want only this test's one", names[i], n)
				}
			})
		}
	})
	probe := mysqltest.New(t)
	for _, name := range names {
		if name == "" {
			continue
		}
		var n int
		if err := probe.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s still exists after its test", name)
		}
	}
}

func TestEmbedded(t *testing.T) {
	db := mysqltest.New(t)
	var comment string
	if err := db.QueryRowContext(context.Background(), "SELECT @@version_comment").Scan(&comment); err != nil {
		t.Fatal(err)
	}
	if got, want := mysqltest.Embedded(db), comment == "Dolt"; got != want {
		t.Errorf("Embedded = %v on a server saying %q", got, comment)
	}
}
