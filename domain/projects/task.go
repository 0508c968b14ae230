package projects

import (
	"fmt"
	"strings"
	"time"

	"github.com/onitapp/onit/domain"
)

// Status is where a task stands.
type Status string

// The statuses a task can have.
const (
	StatusTodo       Status = "todo"
	StatusInProgress Status = "in_progress"
	StatusDone       Status = "done"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusTodo || s == StatusInProgress || s == StatusDone
}

// Priority says how urgent a task is.
type Priority string

// The priorities a task can have, least urgent first.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// priorities is the urgency order; Rank is the index.
var priorities = [...]Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Rank orders priorities by urgency (low 0 … urgent 3); -1 when unknown.
func (p Priority) Rank() int {
	for i, q := range priorities {
		if q == p {
			return i
		}
	}
	return -1
}

// PriorityOfRank is the inverse of Rank; ok is false out of range.
func PriorityOfRank(r int) (Priority, bool) {
	if r < 0 || r >= len(priorities) {
		return "", false
	}
	return priorities[r], true
}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p.Rank() >= 0 }

// Task is a piece of work in a project. CompletedAt is set exactly while the
// status is done; Version increments on every change.
type Task struct {
	ID          int64
	ProjectID   int64
	Title       string
	Description string
	Status      Status
	Priority    Priority
	AssigneeID  *int64
	DueDate     *Date
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
	Version     int64
}

// TaskDraft is the input of a new task; empty Status and Priority take the
// defaults (todo, normal).
type TaskDraft struct {
	Title       string
	Description string
	Status      Status
	Priority    Priority
	AssigneeID  *int64
	DueDate     *Date
}

// NewTask validates d and returns a task of projectID created by createdBy.
// Whether the assignee is a member is the app's question: it needs storage.
func NewTask(projectID, createdBy int64, d TaskDraft, now time.Time) (Task, error) {
	if d.Status == "" {
		d.Status = StatusTodo
	}
	if d.Priority == "" {
		d.Priority = PriorityNormal
	}
	t := Task{
		ProjectID: projectID, CreatedBy: createdBy,
		Title: strings.TrimSpace(d.Title), Description: d.Description,
		Status: d.Status, Priority: d.Priority, AssigneeID: d.AssigneeID, DueDate: d.DueDate,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := t.validate(); err != nil {
		return Task{}, err
	}
	if t.Status == StatusDone {
		c := now
		t.CompletedAt = &c
	}
	return t, nil
}

// TaskChanges are the fields a PATCH may set. A nil pointer leaves a field
// alone; the Set flags distinguish "absent" from "null" for the two fields
// that can be cleared (assignee_id: null unassigns, due_date: null clears).
type TaskChanges struct {
	Title       *string
	Description *string
	Status      *Status
	Priority    *Priority
	SetAssignee bool
	AssigneeID  *int64
	SetDueDate  bool
	DueDate     *Date
}

// AssigneeChanged reports whether c assigns the task to someone new.
func (c TaskChanges) AssigneeChanged(t Task) bool {
	if !c.SetAssignee || c.AssigneeID == nil {
		return false
	}
	return t.AssigneeID == nil || *t.AssigneeID != *c.AssigneeID
}

// Apply validates and applies c. Every successful Apply is a change: the
// version increments and UpdatedAt moves, even when no value differs, so a
// client's write is always visible as a new ETag.
func (t *Task) Apply(c TaskChanges, now time.Time) error {
	n := *t
	if c.Title != nil {
		n.Title = strings.TrimSpace(*c.Title)
	}
	if c.Description != nil {
		n.Description = *c.Description
	}
	if c.Priority != nil {
		n.Priority = *c.Priority
	}
	if c.SetAssignee {
		n.AssigneeID = c.AssigneeID
	}
	if c.SetDueDate {
		n.DueDate = c.DueDate
	}
	if c.Status != nil {
		n.Status = *c.Status
	}
	if err := n.validate(); err != nil {
		return err
	}
	n.MoveTo(n.Status, now)
	n.UpdatedAt = now
	n.Version++
	*t = n
	return nil
}

// MoveTo sets the status, setting CompletedAt when the task enters done and
// clearing it when it leaves.
func (t *Task) MoveTo(s Status, now time.Time) {
	switch {
	case s == StatusDone && t.CompletedAt == nil:
		c := now
		t.CompletedAt = &c
	case s != StatusDone:
		t.CompletedAt = nil
	}
	t.Status = s
}

func (t Task) validate() error {
	var fe []domain.FieldError
	fe = append(fe, textRule("title", t.Title, 1, MaxTitleLen)...)
	fe = append(fe, textRule("description", t.Description, 0, MaxDescriptionLen)...)
	if !t.Status.Valid() {
		fe = append(fe, oneOf("status", "todo in_progress done"))
	}
	if !t.Priority.Valid() {
		fe = append(fe, oneOf("priority", "low normal high urgent"))
	}
	if t.AssigneeID != nil && *t.AssigneeID <= 0 {
		fe = append(fe, domain.FieldError{Field: "assignee_id", Code: "id", Key: "validation.id"})
	}
	if len(fe) > 0 {
		return domain.Invalid(fe...)
	}
	return nil
}

func oneOf(field, options string) domain.FieldError {
	return domain.FieldError{Field: field, Code: "oneof", Key: "validation.oneof",
		Params: map[string]any{"param": strings.ReplaceAll(options, " ", ", ")}}
}

// ErrAssigneeNotMember is an assignee who is not a member of the task's project.
var ErrAssigneeNotMember = domain.Invalid(domain.FieldError{
	Field: "assignee_id", Code: "not_member", Key: "projects.assignee_not_member"})

// Date is a calendar day without time or zone (due dates).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD and refuses days that do not exist (2026-02-30).
// field names the input for the error.
func ParseDate(field, s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 1 {
		return Date{}, domain.Invalid(domain.FieldError{Field: field, Code: "date", Key: "validation.date"})
	}
	return DateOf(t), nil
}

// DateOf is the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Time is midnight UTC of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// Comment is a remark on a task.
type Comment struct {
	ID        int64
	TaskID    int64
	AuthorID  int64
	Body      string
	CreatedAt time.Time
}

// NewComment validates a comment by authorID on taskID.
func NewComment(taskID, authorID int64, body string, now time.Time) (Comment, error) {
	if fe := textRule("body", body, 1, MaxCommentLen); len(fe) > 0 {
		return Comment{}, domain.Invalid(fe...)
	}
	return Comment{TaskID: taskID, AuthorID: authorID, Body: body, CreatedAt: now}, nil
}

// NoDueDate is where tasks without a due date sort in the due-date order:
// after every real date, so "due soonest" lists put undated tasks last.
var NoDueDate = Date{Year: 9999, Month: time.December, Day: 31}
