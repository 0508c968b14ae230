package projects

import "time"

// Status is where a task stands.
type Status string

// Priority says how urgent a task is.
type Priority string

// Task is a piece of work in a project.
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

// Date is a calendar day without time or zone (due dates).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Comment is a remark on a task.
type Comment struct {
	ID        int64
	TaskID    int64
	AuthorID  int64
	Body      string
	CreatedAt time.Time
}
