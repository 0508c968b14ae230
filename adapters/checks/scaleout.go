package checks

import (
	"context"
	"fmt"
)

// checkScaleOutBudget counts every connection Onit may open at peak
// against each server's budget: the primary pool of every instance of
// both blue/green colours, the connections of the commands run beside
// them (a deploy's `migrate up`, a scheduled housekeeping, an operator's
// dbstats), and the replica pool on the replica server.
//
// E055 (list.go) already fires when the pools alone exceed the primary's
// budget; W080 is the case where only the commands' reserve tips it over.
// With a reader endpoint, the replica pools land on the writer when the
// endpoint has no replica behind it (Aurora points it at the writer), so
// W082 counts both pools there too.
func checkScaleOutBudget(_ context.Context, in Input) []Finding {
	m := in.Config.MySQL
	var out []Finding
	pools := m.MaxOpenConns * m.Instances
	if need := pools + m.CommandConns; pools <= m.ServerMaxConns && need > m.ServerMaxConns {
		out = append(out, newFinding("onit.W080",
			fmt.Sprintf("%d connections per instance × %d instances + %d reserved for commands = %d, more than the %d ONIT_MYSQL_SERVER_MAX_CONNECTIONS allows: a migration or housekeeping run during a deploy may be refused.",
				m.MaxOpenConns, m.Instances, m.CommandConns, need, m.ServerMaxConns),
			"Lower ONIT_MYSQL_MAX_OPEN_CONNS or ONIT_MYSQL_EXPECTED_INSTANCES, or raise the budget if the instance class allows it."))
	}
	if m.ReplicaHost == "" {
		return out
	}
	if need := m.ReplicaMaxOpenConns * m.Instances; need > m.ReplicaServerMaxConns {
		out = append(out, newFinding("onit.W081",
			fmt.Sprintf("%d replica connections per instance × %d instances = %d, more than the %d ONIT_MYSQL_REPLICA_SERVER_MAX_CONNECTIONS allows: the replica refuses connections and reads fall back to the primary.",
				m.ReplicaMaxOpenConns, m.Instances, need, m.ReplicaServerMaxConns),
			"Lower ONIT_MYSQL_REPLICA_MAX_OPEN_CONNS, or raise the budget if the replica's instance class allows it."))
	}
	if need := (m.MaxOpenConns+m.ReplicaMaxOpenConns)*m.Instances + m.CommandConns; need > m.ServerMaxConns {
		out = append(out, newFinding("onit.W082",
			fmt.Sprintf("(%d primary + %d replica connections) per instance × %d instances + %d for commands = %d, more than the %d ONIT_MYSQL_SERVER_MAX_CONNECTIONS allows, which is what the writer gets when the reader endpoint has no replica behind it.",
				m.MaxOpenConns, m.ReplicaMaxOpenConns, m.Instances, m.CommandConns, need, m.ServerMaxConns),
			"Keep at least one replica behind the reader endpoint, or size both pools so their sum fits the writer (silence this check when the replica has an endpoint of its own)."))
	}
	return out
}

// checkReplica asks the replica server what it allows, as W056 asks the
// primary, and says when a configured replica does not answer: Onit then
// serves every read from the primary, which works but is not what the
// settings promise.
func checkReplica(ctx context.Context, in Input) []Finding {
	m := in.Config.MySQL
	if m.ReplicaHost == "" {
		return nil
	}
	if in.Replica == nil {
		return one("onit.W084", fmt.Sprintf("The read replica at %s does not answer: %v", m.ReplicaHost, in.ReplicaErr),
			"Check ONIT_MYSQL_REPLICA_DSN / ONIT_MYSQL_REPLICA_HOST and the security group. Until it answers, the primary serves every read.")
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if max, err := in.Replica.MaxConnections(ctx); err == nil && max < m.ReplicaServerMaxConns {
		return one("onit.W083",
			fmt.Sprintf("ONIT_MYSQL_REPLICA_SERVER_MAX_CONNECTIONS is %d, but the replica's max_connections is %d.", m.ReplicaServerMaxConns, max),
			"Set ONIT_MYSQL_REPLICA_SERVER_MAX_CONNECTIONS to what the replica allows minus about 10 for operators and monitoring.")
	}
	return nil
}
