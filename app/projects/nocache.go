package projects

import (
	"context"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// noCache is the cache when none is configured: always a miss.
type noCache struct{}

func (noCache) Project(context.Context, int64, int64) (dp.Project, dp.Role, bool) {
	return dp.Project{}, "", false
}
func (noCache) Role(context.Context, int64, int64) (dp.Role, bool) { return "", false }
func (noCache) Task(context.Context, int64, int64) (dp.Task, dp.Role, bool) {
	return dp.Task{}, "", false
}
func (noCache) Ticket() uint64                                                    { return 0 }
func (noCache) PutProject(context.Context, uint64, dp.Project, map[int64]dp.Role) {}
func (noCache) PutAccess(context.Context, uint64, ports.Access)                   {}
func (noCache) PutTask(context.Context, uint64, dp.Task, ports.Access)            {}
func (noCache) DropProject(context.Context, int64)                                {}
func (noCache) DropTask(context.Context, int64, int64)                            {}
