package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Server asks the MySQL server about itself: what it is, the session mode
// Onit's connections run with, its limits and its global status. Metrics,
// `onit check` and `onit dbstats` ask through it, so this package stays the
// only one with SQL text. It uses the bare *sql.DB: its statements are not
// the application's, and must not count as reads in query metrics.
type Server struct{ db *sql.DB }

// NewServer returns the server behind db.
func NewServer(db *bun.DB) *Server { return &Server{db: db.DB} }

// ServerOf returns the server behind a bare connection pool, for clients
// that hold no bun.DB (the load harness's admin connection).
func ServerOf(db *sql.DB) *Server { return &Server{db: db} }

// Version is the server's @@version ("10.11.19-MariaDB", "8.0.39").
func (s *Server) Version(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT @@version").Scan(&v)
	return v, MapError(err)
}

// Flavor tells MySQL, MariaDB and the embedded engine apart.
func (s *Server) Flavor(ctx context.Context) (Flavor, error) {
	var version, comment string
	if err := s.db.QueryRowContext(ctx, "SELECT @@version, @@version_comment").Scan(&version, &comment); err != nil {
		return "", MapError(err)
	}
	return flavorOf(version, comment), nil
}

// Describe is the version and flavour, for a report header: "8.0.39
// (mysql)". It never fails; what cannot be read is said so.
func (s *Server) Describe(ctx context.Context) string {
	v, err := s.Version(ctx)
	if err != nil {
		return "unknown version"
	}
	f, err := s.Flavor(ctx)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%s (%s)", v, f)
}

// Embedded reports whether the server is the embedded development engine.
func (s *Server) Embedded(ctx context.Context) (bool, error) {
	f, err := s.Flavor(ctx)
	return f == FlavorEmbedded, err
}

// SQLMode is @@SESSION.sql_mode as a pooled connection sees it, so it
// shows the mode Onit's connections really run with.
func (s *Server) SQLMode(ctx context.Context) (string, error) {
	var mode string
	err := s.db.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode)
	return mode, MapError(err)
}

// MaxConnections is the server's @@GLOBAL.max_connections.
func (s *Server) MaxConnections(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT @@GLOBAL.max_connections").Scan(&n)
	return n, MapError(err)
}

// RoundTrip is the median of three SELECT 1 round trips: network and
// server latency with no work in it.
func (s *Server) RoundTrip(ctx context.Context) (time.Duration, error) {
	ds := make([]time.Duration, 0, 3)
	for range 3 {
		start := time.Now()
		var one int
		if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return 0, MapError(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[1], nil
}

// Globals reads the named SHOW GLOBAL STATUS counters and SHOW GLOBAL
// VARIABLES settings in two statements. Both MySQL 8.0 and MariaDB 10.11
// accept SHOW … WHERE and compare names case-insensitively. Names come
// back lower case; non-numeric values (ON/OFF) and names the server lacks
// are left out. It needs no privilege beyond a login.
func (s *Server) Globals(ctx context.Context, status, variables []string) (st, vars map[string]float64, err error) {
	if st, err = s.show(ctx, "SHOW GLOBAL STATUS", status); err != nil {
		return nil, nil, err
	}
	if vars, err = s.show(ctx, "SHOW GLOBAL VARIABLES", variables); err != nil {
		return nil, nil, err
	}
	return st, vars, nil
}

func (s *Server) show(ctx context.Context, show string, names []string) (map[string]float64, error) {
	out := make(map[string]float64, len(names))
	err := s.showRows(ctx, show, names, func(name, value string) {
		if f, err := strconv.ParseFloat(value, 64); err == nil {
			out[strings.ToLower(name)] = f
		}
	})
	return out, err
}

// Counters reads the named SHOW GLOBAL STATUS counters in one statement,
// exactly (uint64: Questions on a busy server outgrows a float's 53 bits
// of integer precision over its uptime), keyed by the names as the caller
// spelled them, so deltas taken around a run keep their familiar names.
// Non-numeric values and names the server lacks are left out. The load
// harness reads them before and after each scenario.
func (s *Server) Counters(ctx context.Context, names []string) (map[string]uint64, error) {
	spelled := make(map[string]string, len(names))
	for _, n := range names {
		spelled[strings.ToLower(n)] = n
	}
	out := make(map[string]uint64, len(names))
	err := s.showRows(ctx, "SHOW GLOBAL STATUS", names, func(name, value string) {
		if n, ok := parseCounter(value); ok {
			if as, ok := spelled[strings.ToLower(name)]; ok {
				out[as] = n
			}
		}
	})
	return out, err
}

// parseCounter reads a status value as a counter; text (ON, versions) and
// negative numbers are not counters, because no delta of them means
// anything.
func parseCounter(value string) (uint64, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
	return n, err == nil
}

// showRows runs show (SHOW GLOBAL STATUS or VARIABLES) for names and hands
// each row to row.
func (s *Server) showRows(ctx context.Context, show string, names []string, row func(name, value string)) error {
	if len(names) == 0 {
		return nil
	}
	// Inline, not placeholders: neither server prepares SHOW GLOBAL
	// STATUS. The names are the caller's constants; anything but a plain
	// variable name is refused rather than quoted.
	for _, n := range names {
		if !isVariableName(n) {
			return fmt.Errorf("mysql: %s: %q is not a variable name", show, n)
		}
	}
	rows, err := s.db.QueryContext(ctx, show+" WHERE Variable_name IN ('"+strings.Join(names, "','")+"')")
	if err != nil {
		return fmt.Errorf("mysql: %s: %w", show, MapError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return fmt.Errorf("mysql: %s: %w", show, MapError(err))
		}
		row(name, value)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mysql: %s: %w", show, MapError(err))
	}
	return nil
}

func isVariableName(n string) bool {
	if n == "" {
		return false
	}
	for _, c := range n {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// CreateDatabase creates an empty database named name with Onit's
// character set and collation (the migrations assume them), for tools
// that load a database of their own, such as the load harness. Names are
// plain identifiers; anything else is refused rather than quoted.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	if !isVariableName(name) {
		return fmt.Errorf("mysql: create database: %q is not a plain name", name)
	}
	if _, err := s.db.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("mysql: create database %s: %w", name, MapError(err))
	}
	return nil
}

// DropDatabase drops the database named name if it exists; see
// CreateDatabase.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	if !isVariableName(name) {
		return fmt.Errorf("mysql: drop database: %q is not a plain name", name)
	}
	if _, err := s.db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
		return fmt.Errorf("mysql: drop database %s: %w", name, MapError(err))
	}
	return nil
}
