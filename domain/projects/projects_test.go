package projects_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onitapp/onit/domain"
	dp "github.com/onitapp/onit/domain/projects"
)

func TestCheckRoleChange(t *testing.T) {
	cases := []struct {
		name    string
		owners  []int64
		user    int64
		newRole dp.Role
		wantErr bool
	}{
		{"demote the only owner", []int64{1}, 1, dp.RoleMember, true},
		{"remove the only owner", []int64{1}, 1, dp.RoleNone, true},
		{"demote one of two owners", []int64{1, 2}, 1, dp.RoleMember, false},
		{"remove a plain member", []int64{1}, 2, dp.RoleNone, false},
		{"promote", []int64{1}, 2, dp.RoleOwner, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := dp.CheckRoleChange(tc.owners, tc.user, tc.newRole)
			if got := errors.Is(err, dp.ErrLastOwner); got != tc.wantErr {
				t.Fatalf("err = %v, want last-owner %v", err, tc.wantErr)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	for in, ok := range map[string]bool{"2030-02-28": true, "2028-02-29": true, "2026-02-30": false,
		"2030-13-01": false, "30-01-01": false, "0000-01-01": false, "": false, "2030-1-1": false} {
		t.Run(in, func(t *testing.T) {
			d, err := dp.ParseDate("due_date", in)
			if (err == nil) != ok {
				t.Fatalf("ParseDate(%q) = %v, %v", in, d, err)
			}
			if ok && d.String() != in {
				t.Fatalf("round trip %q -> %q", in, d.String())
			}
			if !ok && domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("kind %s", domain.KindOf(err))
			}
		})
	}
}

func TestTaskApply(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	task, err := dp.NewTask(1, 1, dp.TaskDraft{Title: " t "}, t0)
	if err != nil || task.Title != "t" || task.Status != dp.StatusTodo || task.Priority != dp.PriorityNormal || task.Version != 1 {
		t.Fatalf("NewTask = %+v, %v", task, err)
	}
	done, todo, bogus := dp.StatusDone, dp.StatusTodo, dp.Status("closed")
	long := strings.Repeat("x", dp.MaxTitleLen+1)
	steps := []struct {
		name          string
		c             dp.TaskChanges
		wantErr       bool
		wantCompleted bool
	}{
		{"enter done", dp.TaskChanges{Status: &done}, false, true},
		{"stay done keeps completed_at", dp.TaskChanges{}, false, true},
		{"unknown status refused", dp.TaskChanges{Status: &bogus}, true, true},
		{"long title refused", dp.TaskChanges{Title: &long}, true, true},
		{"leave done", dp.TaskChanges{Status: &todo}, false, false},
	}
	version := task.Version
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			now := t0.Add(time.Duration(i+1) * time.Hour)
			err := task.Apply(s.c, now)
			if (err != nil) != s.wantErr {
				t.Fatalf("Apply = %v", err)
			}
			if !s.wantErr {
				version++
			}
			if task.Version != version || (task.CompletedAt != nil) != s.wantCompleted {
				t.Fatalf("task = %+v, want version %d completed %v", task, version, s.wantCompleted)
			}
		})
	}
}
