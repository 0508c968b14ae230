package ports

import (
	"context"
	"time"

	"github.com/onitapp/onit/domain/projects"
)

// ProjectRepository stores projects.
type ProjectRepository interface {
	// Create inserts p and sets its ID.
	Create(ctx context.Context, p *projects.Project) error
	// ByID returns the project. NotFound when absent.
	ByID(ctx context.Context, id int64) (projects.Project, error)
	// ByIDForUser returns the project and userID's role in it (RoleNone when
	// not a member), read in one consistent step. NotFound when absent.
	ByIDForUser(ctx context.Context, id, userID int64) (projects.Project, projects.Role, error)
	// ListForUser returns the projects userID is a member of with the user's
	// role, newest first (descending ID), starting after the project ID
	// afterID (0: from the start), at most limit of them.
	ListForUser(ctx context.Context, userID, afterID int64, limit int) ([]ProjectWithRole, error)
	// Update locks the project, applies fn and saves the result. NotFound when
	// absent; fn's error aborts without saving. The save is a compare-and-set
	// on the version read, so without row locks (embedded engines) a lost race
	// is PreconditionFailed rather than a lost update.
	Update(ctx context.Context, id int64, fn func(*projects.Project) error) (projects.Project, error)
	// Delete removes the project with its members, tasks and their comments
	// when its stored version is version (0: whatever it is), checked and
	// deleted in one step so that no concurrent write slips in between.
	// NotFound when absent; PreconditionFailed when the version differs.
	Delete(ctx context.Context, id, version int64) error
}

// ProjectWithRole is a project as one user sees it.
type ProjectWithRole struct {
	Project projects.Project
	Role    projects.Role
}

// MemberRepository stores project memberships.
type MemberRepository interface {
	// Add inserts m. Conflict (projects.ErrAlreadyMember) when the user is
	// already a member; NotFound when the project or user does not exist.
	Add(ctx context.Context, m projects.Member) error
	// Roles returns the roles of those of userIDs who are members (absent
	// users are not in the map) and the IDs of every owner, ascending, in one
	// read.
	Roles(ctx context.Context, projectID int64, userIDs ...int64) (roles map[int64]projects.Role, owners []int64, err error)
	// Get returns one membership with the user's email and name. NotFound
	// (projects.ErrMemberNotFound) when the user is not a member.
	Get(ctx context.Context, projectID, userID int64) (projects.Member, error)
	// List returns members by ascending user ID after afterUserID, at most limit.
	List(ctx context.Context, projectID, afterUserID int64, limit int) ([]projects.Member, error)
	// SetRole changes a member's role. NotFound (projects.ErrMemberNotFound)
	// when the user is not a member.
	SetRole(ctx context.Context, projectID, userID int64, role projects.Role) error
	// Remove deletes a membership. NotFound (projects.ErrMemberNotFound) when
	// the user is not a member.
	Remove(ctx context.Context, projectID, userID int64) error
}

// TaskOrder is a sort order of task lists.
type TaskOrder string

// The task orders the API offers. Every order ends in the ID so that it is
// total, which keyset pagination needs.
const (
	OrderNewest   TaskOrder = "-created_at" // created_at desc, id desc
	OrderDueDate  TaskOrder = "due_date"    // due date asc (none last), id asc
	OrderPriority TaskOrder = "-priority"   // urgency desc, id desc
)

// Valid reports whether o is a known order.
func (o TaskOrder) Valid() bool {
	return o == OrderNewest || o == OrderDueDate || o == OrderPriority
}

// TaskFilter narrows a task list; zero fields do not filter. All combine.
type TaskFilter struct {
	Status     projects.Status
	AssigneeID int64
	Priority   projects.Priority
	DueBefore  *projects.Date // due strictly before; tasks without a due date are excluded
	Query      string         // case-insensitive substring of the title
}

// TaskKey is the position of a task in an order: the values of the sort
// columns of the last task of a page. Only the fields of the order are used.
type TaskKey struct {
	ID        int64
	CreatedAt time.Time
	DueDate   *projects.Date
	Priority  projects.Priority
}

// KeyOf returns t's position in o.
func KeyOf(t projects.Task, o TaskOrder) TaskKey {
	k := TaskKey{ID: t.ID}
	switch o {
	case OrderDueDate:
		k.DueDate = t.DueDate
	case OrderPriority:
		k.Priority = t.Priority
	default:
		k.CreatedAt = t.CreatedAt
	}
	return k
}

// TaskQuery selects one page of a project's tasks.
type TaskQuery struct {
	ProjectID int64
	Filter    TaskFilter
	Order     TaskOrder
	After     *TaskKey // nil: first page
	Limit     int
}

// TaskRepository stores tasks.
type TaskRepository interface {
	// Create inserts t and sets its ID. NotFound when the project is gone.
	Create(ctx context.Context, t *projects.Task) error
	// ByID returns the task. NotFound when absent.
	ByID(ctx context.Context, id int64) (projects.Task, error)
	// ByIDForUser returns the task with userID's standing in its project,
	// read in one consistent step. NotFound when absent.
	ByIDForUser(ctx context.Context, id, userID int64) (projects.Task, Access, error)
	// List returns one page of tasks in the query's order, starting strictly
	// after q.After. It never uses OFFSET.
	List(ctx context.Context, q TaskQuery) ([]projects.Task, error)
	// Update locks the task, applies fn and saves the result (compare-and-set
	// on the version read). NotFound when absent; fn's error aborts.
	Update(ctx context.Context, id int64, fn func(*projects.Task) error) (projects.Task, error)
	// CreateIfMember inserts t and sets its ID only when t.CreatedBy is a
	// member of t.ProjectID and, when t.AssigneeID is set, so is the
	// assignee, checked and inserted in one statement. created is false,
	// and nothing is written, when a check fails (the project is gone
	// included); the caller asks MemberRepository.Roles which. A claimID
	// other than 0 links the task to that idempotency claim
	// (IdempotencyRepository.Claim) in the same statement: Conflict
	// (projects.ErrIdempotencyKeyUsed) when a task with that claim exists.
	CreateIfMember(ctx context.Context, t *projects.Task, claimID int64) (created bool, err error)
	// SaveIfMember stores t's changeable fields and version only when the
	// stored version is still prev, userID is a member of the task's
	// project and a set assignee is one too, checked and written in one
	// statement. saved is false when any of that fails (the task is gone
	// included); the caller reads again to tell which.
	SaveIfMember(ctx context.Context, t projects.Task, prev, userID int64) (saved bool, err error)
	// Delete removes the task and its comments when its stored version is
	// version (0: whatever it is), checked and deleted in one step so that
	// no concurrent write slips in between. NotFound when absent;
	// PreconditionFailed when the version differs.
	Delete(ctx context.Context, id, version int64) error
	// AssignedTo returns the IDs of the project's tasks assigned to userID,
	// ascending (a member leaving unassigns them).
	AssignedTo(ctx context.Context, projectID, userID int64) ([]int64, error)
}

// Access is a user's standing in a project as of a project version; caches
// use the version to refuse stale copies.
type Access struct {
	ProjectID      int64
	ProjectVersion int64
	UserID         int64
	Role           projects.Role
}

// CommentRepository stores comments.
type CommentRepository interface {
	// Create inserts c and sets its ID. NotFound when the task is gone.
	Create(ctx context.Context, c *projects.Comment) error
	// List returns a task's comments oldest first (ascending ID) after the
	// comment ID afterID, at most limit.
	List(ctx context.Context, taskID, afterID int64, limit int) ([]projects.Comment, error)
}

// IdempotencyRecord is the remembered outcome of a creating POST, or the
// claim of a keyed task POST (see IdempotencyRepository.Claim).
type IdempotencyRecord struct {
	ID          int64 // assigned by Claim; read by Get
	UserID      int64
	Key         string
	Fingerprint string // hash of the operation and its input
	// Response is the app's encoding of the created resource, stored with
	// the resource in one transaction (Save). Empty for a claim: its
	// outcome is the task created with the claim's ID, if any.
	Response  []byte
	CreatedAt time.Time
	// TaskID and TaskCreatedAt name the task that exists under this claim
	// (TaskRepository.CreateIfMember with the claim's ID), read by Get; 0
	// when there is none: not yet, refused, or deleted since.
	TaskID        int64
	TaskCreatedAt time.Time
}

// IdempotencyRepository remembers the responses of creating POSTs.
type IdempotencyRepository interface {
	// Save stores r. Conflict (projects.ErrIdempotencyKeyUsed) when the user
	// already has a record with that key; inside a transaction the duplicate
	// check waits for a concurrent transaction holding the same key.
	Save(ctx context.Context, r IdempotencyRecord) error
	// Claim stores r without a response, in one statement of its own, and
	// returns its ID, which the created resource then carries. Conflict
	// (projects.ErrIdempotencyKeyUsed) when the user already has a record
	// with that key.
	Claim(ctx context.Context, r IdempotencyRecord) (id int64, err error)
	// TakeOver moves the claim id's creation time from was to now, only
	// if it is still was (a compare-and-set: of two requests taking over
	// the same stale claim exactly one succeeds). ok is false, and nothing
	// changes, when the claim is gone or was taken over already.
	TakeOver(ctx context.Context, id int64, was, now time.Time) (ok bool, err error)
	// Release deletes the claim id if its creation time is still
	// createdAt (not taken over since), so the key can be used again; gone
	// is not an error.
	Release(ctx context.Context, id int64, createdAt time.Time) error
	// Get returns the user's record for key, with the task created under
	// it when it is a claim. NotFound when absent.
	Get(ctx context.Context, userID int64, key string) (IdempotencyRecord, error)
	// DeleteExpired removes the user's record for key when it was created
	// before cutoff, so the key can be used again; absent is not an error.
	DeleteExpired(ctx context.Context, userID int64, key string, cutoff time.Time) error
	// Purge removes every record created before cutoff and returns how many.
	Purge(ctx context.Context, cutoff time.Time) (int64, error)
}

// ProjectCache is an instance's fast copy of projects, tasks and members'
// roles (cache-aside) in front of MySQL, which stays the truth. Every entry
// carries the version it was read at and an older copy never replaces a
// newer one: fills take a Ticket before reading MySQL, and a fill whose
// object was announced at a newer version since is refused, so a slow
// reader cannot put back what a writer just replaced. Caches speed up
// reads, and may spare a write its read of the current version, but no
// write authorises against one: the write's own statement checks the
// membership and the version in MySQL.
type ProjectCache interface {
	// Project returns the cached project and userID's role (RoleNone: known
	// not to be a member). ok is false on a miss.
	Project(ctx context.Context, projectID, userID int64) (p projects.Project, role projects.Role, ok bool)
	// Role returns userID's cached role in the project. ok is false on a miss.
	Role(ctx context.Context, projectID, userID int64) (role projects.Role, ok bool)
	// Task returns the cached task and userID's role in its project. ok is
	// false on a miss.
	Task(ctx context.Context, taskID, userID int64) (t projects.Task, role projects.Role, ok bool)
	// Ticket is taken before reading what a Put will store; see the type.
	Ticket() uint64
	// PutProject stores p with the given members' roles (RoleNone: not a member).
	PutProject(ctx context.Context, ticket uint64, p projects.Project, roles map[int64]projects.Role)
	// PutAccess stores one user's role as of a project version.
	PutAccess(ctx context.Context, ticket uint64, a Access)
	// PutTask stores t, and a.UserID's role when a.ProjectVersion is not 0.
	PutTask(ctx context.Context, ticket uint64, t projects.Task, a Access)
	// DropProject forgets the project (and so its tasks' roles).
	DropProject(ctx context.Context, projectID int64)
	// DropTask forgets the task.
	DropTask(ctx context.Context, projectID, taskID int64)
}
