package mysql

import "github.com/uptrace/bun"

// SourceDB exposes the source pool to the tests of package mysql_test, so
// they can prove it refuses writes.
func (s *DjangoSource) SourceDB() *bun.DB { return s.db }

// SetExpiredBatch shrinks the purges' batch size for a test and returns
// its restore.
func SetExpiredBatch(n int64) (restore func()) {
	old := expiredBatch
	expiredBatch = n
	return func() { expiredBatch = old }
}

// SetReplicaStatus replaces the router's lag reading, as Poll would.
func (r *ReadRouter) SetReplicaStatus(st ReplicaStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.Usable = st.Up && st.Lag <= r.cfg.MaxLag
	r.status = st
}
