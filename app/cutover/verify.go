package cutover

import (
	"context"
	"fmt"

	"github.com/onitapp/onit/domain/accounts"
	"github.com/onitapp/onit/domain/cutover"
)

// verify re-reads the sample of imported users from Onit and from Django
// and checks each: the user is in Onit, its stored hash is Django's hash
// byte for byte and in a format Onit verifies (or Django's unusable
// password), and its email key is Django's email normalised. The sample
// was drawn evenly over the users phase (every n-th row read), so it
// covers the whole ID range.
func (im *Importer) verify(ctx context.Context, r *run) (Verification, error) {
	if r.dry {
		return Verification{NotRun: "dry run: nothing was written to verify"}, nil
	}
	var v Verification
	if len(r.Sample) == 0 {
		return v, nil
	}
	onit, err := im.repos.ImportedUsers.LockBySourceIDs(ctx, r.Sample)
	if err != nil {
		return v, fmt.Errorf("verification: reading Onit's users: %w", err)
	}
	src, err := im.source.UsersByID(ctx, r.Sample)
	if err != nil {
		return v, fmt.Errorf("verification: reading Django's users: %w", err)
	}
	inOnit := map[int64]cutover.ImportedUser{}
	for _, u := range onit {
		inOnit[u.SourceID] = u
	}
	inDjango := map[int64]cutover.SourceUser{}
	for _, u := range src {
		inDjango[u.ID] = u
	}
	for _, id := range r.Sample {
		v.Checked++
		problem := im.check(id, inOnit, inDjango)
		if problem == "" {
			v.Passed++
			continue
		}
		if len(v.Problems) < cutover.MaxListed {
			v.Problems = append(v.Problems, problem)
		}
	}
	return v, nil
}

func (im *Importer) check(id int64, inOnit map[int64]cutover.ImportedUser, inDjango map[int64]cutover.SourceUser) string {
	o, ok := inOnit[id]
	if !ok {
		return fmt.Sprintf("Django user %d: not in Onit", id)
	}
	d, ok := inDjango[id]
	if !ok {
		return fmt.Sprintf("Django user %d: no longer in Django", id)
	}
	if o.User.PasswordHash != d.Password {
		return fmt.Sprintf("Django user %d (Onit user %d): the stored password hash is not Django's", id, o.User.ID)
	}
	if f := im.inspector.Inspect(o.User.PasswordHash); !f.Verifiable && !f.Unusable {
		return fmt.Sprintf("Django user %d (Onit user %d): Onit cannot verify the stored %s hash", id, o.User.ID, f.Algorithm)
	}
	if o.User.EmailKey != accounts.EmailKey(d.Email) {
		return fmt.Sprintf("Django user %d (Onit user %d): the email differs from Django's", id, o.User.ID)
	}
	return ""
}
