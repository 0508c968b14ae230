// Package scaleout holds Onit's end-to-end scale-out suite: topology.sh
// starts a Redis Cluster of 3 masters with a replica each, a MariaDB
// primary with a GTID replica, three production-mode instances and nginx
// as the round-robin load balancer, all on loopback, spare ports and a
// temporary directory; the tests drive the API through nginx and through
// each instance directly, and prove that the instances are coherent
// (sessions, revocation, cached tasks, idempotency keys) and that a Redis
// master killed or the replica stopped under load costs no failed request.
//
// It runs only with ONIT_TEST_SCALEOUT=1 (`go tool task test:scaleout`, and
// `.ci/run`); otherwise every test skips at once, so `go test ./...` stays
// quick. With ONIT_SCALEOUT_SCALING=1 TestScalingTable measures the
// standard mix through 1, 2 and 3 instances (`go tool task
// bench:scaleout`). The topology is torn down when the tests end, failed
// or not, stopping only the processes topology.sh started.
package scaleout
