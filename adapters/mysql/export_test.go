package mysql

import "github.com/uptrace/bun"

// SourceDB exposes the source pool to the tests of package mysql_test, so
// they can prove it refuses writes.
func (s *DjangoSource) SourceDB() *bun.DB { return s.db }
