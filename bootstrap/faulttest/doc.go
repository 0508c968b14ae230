// Package faulttest holds Onit's fault tests: the production binary, built
// from this module and run with production-like settings over plain HTTP
// on loopback, against a private MariaDB and Redis that each test starts on
// spare ports with temporary data directories, so that killing, pausing or
// switching them to read-only harms nothing else on the machine.
//
// The faults are the ones production brings: MariaDB killed and restarted
// (an RDS failover), MariaDB read-only for a while (a blue/green
// switchover), Redis killed (an ElastiCache node replaced), Redis refusing
// or pausing writes during a logout (a full or throttled node), SIGTERM during
// load (a deploy) and an exhausted connection pool. Each test drives a
// bounded load (a request count and a time limit) at 127.0.0.1 only.
//
// The suite runs under `go test ./...` (CI) and is skipped with -short. It
// needs mariadbd, mariadb-install-db and redis-server on the PATH (or in
// /usr/sbin); without them it skips, unless ONIT_TEST_REQUIRE_SERVICES is
// set, when it fails instead.
package faulttest
