// Package devengines runs Onit's backing services inside the process, for
// development and for tests on machines without MySQL or Redis:
// go-mysql-server (in-memory, over the MySQL wire protocol, so the real
// driver, bun adapter and goose migrations run unchanged) and miniredis.
//
// Every other file is behind the devengines build tag
// (go build -tags devengines / go test -tags devengines). Only other
// devengines-tagged files import this package, so production binaries never
// link an in-memory database; without the tag the package is this file alone.
//
// # What the embedded MySQL does not do
//
// Found by running the real migrations and the adapter tests against it
// (go-mysql-server v0.20.0, memory provider):
//
//   - Concurrency: the memory engine is not safe for concurrent writes, and
//     its transactions copy a table on first touch and write it back on
//     COMMIT (last commit wins). StartMySQL therefore serialises whole
//     transactions behind one engine-wide lock (serial.go): correct results,
//     but no InnoDB row locks. SELECT … FOR UPDATE locks nothing by itself,
//     deadlocks (1213) never happen, and a statement on another connection
//     waits for an open transaction (failing with 1205 after 10 s) where
//     InnoDB would read a snapshot. mysqltest.RequireInnoDB skips tests that
//     depend on real locking.
//   - Collations: SET NAMES … COLLATE is accepted but the connection keeps
//     utf8mb4_0900_ai_ci. Unique indexes compare case-sensitively even on
//     utf8mb4_unicode_ci columns ('A@x' and 'a@x' can both be stored) and
//     trailing spaces count. Onit normalises keys in Go (email_key is
//     lowercased and its column is utf8mb4_bin anyway), so the schema
//     behaves the same; ad-hoc case-insensitive lookups do not.
//   - Error numbers: 1062 (duplicate) and 1452 (missing parent) match MySQL,
//     but messages differ: a duplicate names no index, so
//     adapters/mysql.IsDuplicate returns key "" there. Many other errors
//     arrive as the generic 1105 (data too long, no default value), where
//     MySQL sends 1406, 1364 and so on; MapError makes them Internal
//     either way.
//   - ENGINE is ignored: ENGINE=MyISAM is accepted silently despite
//     NO_ENGINE_SUBSTITUTION. sql_mode, time_zone, READ COMMITTED,
//     FOREIGN KEY … ON DELETE CASCADE, GET_LOCK, information_schema and
//     INSERT IGNORE work.
//   - Table aliases in single-table DELETE do not parse: bun's
//     NewDelete().Model(m) writes DELETE FROM users AS u …, which MySQL 8
//     and MariaDB accept; write NewDelete().TableExpr("users") so repository
//     code runs on all three.
//   - Indexes do not drive plans (lookups scan), so EXPLAIN-based tests need
//     a real server.
//   - Data lives in memory and is lost when the process exits.
//
// adapters/mysql never changes its behaviour for the embedded engine: the
// driver settings are the same, and DetectFlavor exists only so tests can
// skip what it cannot do.
package devengines
