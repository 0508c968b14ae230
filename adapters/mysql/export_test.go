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
