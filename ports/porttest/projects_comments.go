package porttest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	dp "github.com/onitapp/onit/domain/projects"
)

// CommentRepository checks ports.CommentRepository: a task's comments listed
// oldest first, paged by ID.
func CommentRepository(t *testing.T, f ProjectsFixture) {
	t.Helper()
	ctx := context.Background()
	r := f.Repos

	t.Run("comments oldest first, paged", func(t *testing.T) {
		owner := f.NewUser(t)
		p := f.newProject(t, owner)
		tk := f.newTask(t, p, dp.TaskDraft{}, base)
		var want []int64
		for i := range 5 {
			c := dp.Comment{TaskID: tk.ID, AuthorID: owner, Body: fmt.Sprint(i), CreatedAt: base}
			if err := r.Comments.Create(ctx, &c); err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
		}
		first, _ := r.Comments.List(ctx, tk.ID, 0, 3)
		rest, _ := r.Comments.List(ctx, tk.ID, first[2].ID, 3)
		var got []int64
		for _, c := range append(first, rest...) {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want) || first[0].Body != "0" || !first[0].CreatedAt.Equal(base) {
			t.Fatalf("comments = %v (%+v), want %v", got, first[0], want)
		}
	})
}
