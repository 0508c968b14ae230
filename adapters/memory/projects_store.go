package memory

import (
	"maps"
	"strconv"
	"sync"

	dp "github.com/onitapp/onit/domain/projects"
	"github.com/onitapp/onit/ports"
)

// ProjectsStore holds every project-side table (projects, members, tasks,
// comments, idempotency records) under one mutex, so a unit of work can
// snapshot and restore them together. Its accessor methods return the
// repository twins, which all share the store.
//
// Update methods hold a per-row lock (not the store mutex) while their
// function runs, like SELECT … FOR UPDATE: the function may call the other
// repositories, and a second Update of the same row waits.
type ProjectsStore struct {
	users ports.UserRepository // optional: member email/name and user existence

	mu       sync.Mutex
	d        projectsData
	rowLocks sync.Map // "p:1" / "t:1" -> *sync.Mutex
}

type projectsData struct {
	seq      int64 // one sequence for all tables: IDs only need to be unique per table
	projects map[int64]dp.Project
	members  map[int64]map[int64]dp.Member // project -> user -> member
	tasks    map[int64]dp.Task
	comments map[int64]dp.Comment
	idem     map[idemID]ports.IdempotencyRecord
	claimed  map[int64]int64 // idempotency claim ID -> the task created under it (tasks.idempotency_id)
}

type idemID struct {
	user int64
	key  string
}

func (d projectsData) clone() projectsData {
	c := d
	c.projects = maps.Clone(d.projects)
	c.members = make(map[int64]map[int64]dp.Member, len(d.members))
	for k, v := range d.members {
		c.members[k] = maps.Clone(v)
	}
	c.tasks = maps.Clone(d.tasks)
	c.comments = maps.Clone(d.comments)
	c.idem = maps.Clone(d.idem)
	c.claimed = maps.Clone(d.claimed)
	return c
}

// NewProjectsStore returns an empty store. users, when not nil, supplies
// members' email and name and refuses memberships of unknown users, as the
// MySQL join and foreign key do.
func NewProjectsStore(users ports.UserRepository) *ProjectsStore {
	return &ProjectsStore{users: users, d: projectsData{
		projects: map[int64]dp.Project{}, members: map[int64]map[int64]dp.Member{},
		tasks: map[int64]dp.Task{}, comments: map[int64]dp.Comment{}, idem: map[idemID]ports.IdempotencyRecord{},
		claimed: map[int64]int64{},
	}}
}

// Snapshot copies every table; calling restore puts the copy back (a
// rollback). Values are never mutated in place, so shallow map copies suffice.
func (s *ProjectsStore) Snapshot() (restore func()) {
	s.mu.Lock()
	snap := s.d.clone()
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.d = snap
		s.mu.Unlock()
	}
}

// Projects returns the ProjectRepository twin.
func (s *ProjectsStore) Projects() *ProjectRepository { return &ProjectRepository{s} }

// Members returns the MemberRepository twin.
func (s *ProjectsStore) Members() *MemberRepository { return &MemberRepository{s} }

// Tasks returns the TaskRepository twin.
func (s *ProjectsStore) Tasks() *TaskRepository { return &TaskRepository{s} }

// Comments returns the CommentRepository twin.
func (s *ProjectsStore) Comments() *CommentRepository { return &CommentRepository{s} }

// Idempotency returns the IdempotencyRepository twin.
func (s *ProjectsStore) Idempotency() *IdempotencyRepository { return &IdempotencyRepository{s} }

// lockRow takes the row lock of key and returns its unlock.
func (s *ProjectsStore) lockRow(key string) func() {
	m, _ := s.rowLocks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
