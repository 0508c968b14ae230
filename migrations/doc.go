// Package migrations holds Onit's schema and data migrations and the runner
// that applies them: SQL files in sql/ (embedded in the binary) and Go data
// migrations listed in data.go, on one version number line.
//
// # Why goose
//
// pressly/goose v3 was chosen over bun/migrate because:
//   - its MySQL table locker (lock.NewMySQLTableLocker) makes a second
//     migrator wait instead of failing, and its lease expires 30 s after a
//     migrator crashes, so a killed deploy never leaves the database locked
//     for good; bun/migrate's lock table fails the second migrator at once
//     and stays locked after a crash until someone unlocks it by hand;
//   - SQL and Go migrations share one ordering and one version table;
//   - the Provider API takes its database, files and migrations as values, so
//     no process-global registry decides what runs (tests build several
//     runners side by side).
//
// goose's version table (goose_db_version) and lock table (goose_lock) live
// beside Onit's tables.
//
// # Blue/green deploys
//
// During a deploy the old and the new release run against the same database,
// and migrations run before the new release takes traffic. So every migration
// must leave a schema the previous release still works with:
//
//   - expand first: add tables, add columns as NULL or with a default, add
//     indexes, backfill with a data migration (in batches, idempotent);
//   - contract later: drop columns or tables, add NOT NULL, rename (as add +
//     backfill + drop) only in a later release, once no running code reads
//     the old shape.
//
// A migration that breaks this rule makes the rollback of a bad release break
// too, because the old code meets the new schema.
//
// # Numbering
//
// Versions are sequential (00001, 00002, …), not timestamps; Create picks the
// next free number. Go data migrations take a number on the same line (the
// email-key normalisation is 10). Once a database has applied a version,
// never add a lower one: goose refuses to apply missing lower versions.
//
// # Dialects
//
// Every statement must run on MySQL 8.0 (production) and MariaDB 10.11 (CI):
// no RETURNING, no CREATE INDEX IF NOT EXISTS, no ->>, no INSERT … AS new,
// no INVISIBLE indexes; quote identifiers reserved in MySQL 8; every table
// names ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci.
package migrations
