// Package mysqltest gives tests a fresh, fully migrated MySQL database: on the
// server named by ONIT_TEST_MYSQL_DSN (MariaDB in CI), or else on the
// embedded engine when the test binary is built with -tags devengines.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"

	adapter "github.com/onitapp/onit/adapters/mysql"
	"github.com/onitapp/onit/env"
	"github.com/onitapp/onit/migrations"
)

// settings are test-friendly pool settings: small, short-lived, and a slow
// query threshold high enough not to flood test output.
func settings(dsn string) adapter.Config {
	return adapter.Config{
		DSN:             dsn,
		MaxOpenConns:    8,
		ConnMaxLifetime: time.Minute,
		QueryTimeout:    30 * time.Second,
		DialTimeout:     3 * time.Second,
		SlowQuery:       5 * time.Second,
	}
}

// New returns a pool on a new database, created for this call and migrated
// to the latest version, and drops it when the test ends. Tests sharing a
// package run in parallel without seeing each other's rows.
//
// With ONIT_TEST_MYSQL_DSN set it uses that server; when the server cannot
// be reached it fails the test if ONIT_TEST_REQUIRE_SERVICES is set and
// otherwise falls back to the embedded engine. Without a DSN it uses the
// embedded engine when built with -tags devengines, and skips otherwise.
func New(t testing.TB) *bun.DB {
	t.Helper()
	dsn := DSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	db, err := adapter.Open(ctx, Settings(dsn), log, nil)
	if err != nil {
		t.Fatalf("mysqltest: open: %v", err)
	}
	// Cleanups run last-in first-out: the pool closes before DSN's DROP.
	t.Cleanup(func() { _ = db.Close() })
	r, err := migrations.NewRunner(db.DB, log)
	if err != nil {
		t.Fatalf("mysqltest: %v", err)
	}
	if _, err := r.Up(ctx); err != nil {
		t.Fatalf("mysqltest: migrate: %v", err)
	}
	return db
}

// DSN returns a DSN for a new, empty (unmigrated) database that is dropped
// when the test ends, on the server New would use; tests of the migrations
// themselves start from it. It skips or fails like New.
func DSN(t testing.TB) string {
	t.Helper()
	server := serverDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm, err := admin(server)
	if err != nil {
		t.Fatalf("mysqltest: %v", err)
	}
	name := "onit_t_" + randomHex(6)
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		_ = adm.Close()
		t.Fatalf("mysqltest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := adm.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("mysqltest: drop database %s: %v", name, err)
		}
		_ = adm.Close()
	})
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		t.Fatal("mysqltest: invalid DSN")
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}

// serverDSN picks the server: ONIT_TEST_MYSQL_DSN when it answers, else the
// embedded engine when linked, else skip (or fail with Require).
func serverDSN(t testing.TB) string {
	t.Helper()
	ts, err := env.LoadTestServices()
	if err != nil {
		t.Fatalf("mysqltest: %v", err)
	}
	if ts.MySQLDSN != "" {
		err := reachable(ts.MySQLDSN)
		if err == nil {
			return ts.MySQLDSN
		}
		if ts.Require {
			t.Fatalf("mysqltest: ONIT_TEST_MYSQL_DSN unreachable and ONIT_TEST_REQUIRE_SERVICES set: %v", err)
		}
		t.Logf("mysqltest: ONIT_TEST_MYSQL_DSN unreachable (%v); trying the embedded engine", err)
	}
	dsn, err := embeddedDSN()
	switch {
	case errors.Is(err, errNoEmbedded) && ts.Require:
		t.Fatal("mysqltest: no MySQL and ONIT_TEST_REQUIRE_SERVICES set: set ONIT_TEST_MYSQL_DSN")
	case errors.Is(err, errNoEmbedded):
		t.Skip("no MySQL: set ONIT_TEST_MYSQL_DSN or run with -tags devengines")
	case err != nil:
		t.Fatalf("mysqltest: embedded engine: %v", err)
	}
	return dsn
}

// reachCache remembers per DSN whether the server answered, so a dead server
// costs one dial timeout per process, not one per test.
var reachCache sync.Map // dsn -> error (nil when reachable)

func reachable(dsn string) error {
	if v, ok := reachCache.Load(dsn); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	err := func() error {
		db, err := admin(dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return db.PingContext(ctx)
	}()
	if err == nil {
		reachCache.Store(dsn, nil)
	} else {
		reachCache.Store(dsn, err)
	}
	return err
}

// admin opens a pool on the server without selecting a database.
func admin(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, errors.New("mysqltest: invalid DSN") // the message could echo the password
	}
	cfg.DBName = ""
	cfg.Timeout = 3 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// Settings returns the pool settings New uses, for tests that open their own
// pool (with adapters/mysql.Open) on a DSN from DSN.
func Settings(dsn string) adapter.Config { return settings(dsn) }

// Embedded reports whether db is the embedded engine rather than MySQL or MariaDB.
func Embedded(db *bun.DB) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := adapter.DetectFlavor(ctx, db)
	return err == nil && f == adapter.FlavorEmbedded
}

// RequireInnoDB skips the test on the embedded engine. It has no row locks:
// devengines runs one transaction at a time instead, so SELECT … FOR UPDATE
// does not lock, deadlocks cannot happen, and a test that coordinates two
// open transactions would wait on itself. Tests of locking, deadlocks and
// query plans need InnoDB.
func RequireInnoDB(t testing.TB, db *bun.DB) {
	t.Helper()
	if Embedded(db) {
		t.Skip("embedded engine: SELECT … FOR UPDATE does not lock (one transaction at a time, no InnoDB); run with ONIT_TEST_MYSQL_DSN")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
