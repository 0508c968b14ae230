//go:build devengines

package devengines

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

func startMySQL(t *testing.T) string {
	t.Helper()
	dsn, stop, err := StartMySQL(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return dsn
}

func TestStartMySQL(t *testing.T) {
	dsn := startMySQL(t)
	if !strings.HasPrefix(dsn, "root:@tcp(127.0.0.1:") || !strings.HasSuffix(dsn, ")/onit") {
		t.Errorf("dsn = %s", dsn)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var name string
	if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil || name != "onit" {
		t.Fatalf("database = %q, %v", name, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1062 {
		t.Errorf("duplicate insert = %v, want error 1062", err)
	}
}

// TestOneTransactionAtATime checks the engine lock: a second connection's
// write waits for the open transaction and then sees its result, so no update
// is lost; a transaction left open too long makes others time out with 1205.
func TestOneTransactionAtATime(t *testing.T) {
	db, err := sql.Open("mysql", startMySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE counter (id INT NOT NULL PRIMARY KEY, n INT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO counter VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE counter SET n = n + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, "UPDATE counter SET n = n + 10 WHERE id = 1")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("second writer ran while a transaction was open (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT n FROM counter WHERE id = 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 11 {
		t.Errorf("n = %d, want 11: an update was lost", n)
	}
}

func TestStartRedis(t *testing.T) {
	addr, stop, err := StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "+PONG\r\n" {
		t.Errorf("PING = %q, %v", buf[:n], err)
	}
}

// Keys expire on the wall clock, as on Redis: a throttle window or a
// cached object must not last until a restart in development.
func TestStartRedisExpiresKeys(t *testing.T) {
	addr, stop, err := StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 100*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("key still there after its TTL: %d, %v", n, err)
	}
}
