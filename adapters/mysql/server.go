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
	if len(names) == 0 {
		return out, nil
	}
	// Inline, not placeholders: neither server prepares SHOW GLOBAL
	// STATUS. The names are the caller's constants; anything but a plain
	// variable name is refused rather than quoted.
	for _, n := range names {
		if !isVariableName(n) {
			return nil, fmt.Errorf("mysql: %s: %q is not a variable name", show, n)
		}
	}
	rows, err := s.db.QueryContext(ctx, show+" WHERE Variable_name IN ('"+strings.Join(names, "','")+"')")
	if err != nil {
		return nil, fmt.Errorf("mysql: %s: %w", show, MapError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("mysql: %s: %w", show, MapError(err))
		}
		if f, err := strconv.ParseFloat(value, 64); err == nil {
			out[strings.ToLower(name)] = f
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql: %s: %w", show, MapError(err))
	}
	return out, nil
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
