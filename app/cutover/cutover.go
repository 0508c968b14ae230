// Package cutover is the move from the Django backend (onitweb) to Onit:
// `onit import django` copies Django's users with their password hashes,
// and their live sessions, so that nobody has to sign up again and nobody
// logged in is thrown out at the switch.
//
// An import runs in phases (users, users deleted in Django, sessions,
// sessions Django no longer has), each a keyset walk of bounded batches;
// every batch is one unit of work that also saves the run's cursor and
// counts, so memory stays flat however many users there are and an
// interrupted run resumes where its last batch committed. The Django
// database is only read (ports.DjangoSource). Re-running is safe: users
// keep their Django ID and a fingerprint of what was imported, so a re-run
// updates what changed in Django, leaves alone what changed in Onit since,
// and creates nothing twice; sessions are keyed by the hash of Django's
// session key, which is also the cookie and bearer token the client holds.
package cutover

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/onitapp/onit/domain"
	"github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

// Batch sizes: the default keeps a batch's transaction short (a thousand
// rows, a few milliseconds of locks); the maximum keeps one batch's memory
// and lock footprint bounded whatever an operator asks for.
const (
	DefaultBatchSize = 1000
	MaxBatchSize     = 10000
)

// DefaultResumeWithin is how recent an interrupted run must be to resume.
// An older one is abandoned: rows it passed may have changed since, and
// resuming would skip them.
const DefaultResumeWithin = time.Hour

// Config is what the importer needs from the settings, as plain values.
type Config struct {
	// BatchSize is the rows per batch; 0 means DefaultBatchSize.
	BatchSize int
	// DefaultLanguage is given to users whose Django language Onit does
	// not offer (Onit's ONIT_LANGUAGE_CODE).
	DefaultLanguage string
	// ResumeWithin: 0 means DefaultResumeWithin.
	ResumeWithin time.Duration
}

// Options are the choices of one run.
type Options struct {
	// DryRun reads everything and writes nothing, not even the run's
	// progress: the report says what a real run would do.
	DryRun bool
	// Restart ignores an interrupted run and starts over.
	Restart bool
}

// Importer runs imports. Its ports: the Django source (read only), the
// session codec (nil when no secret key was given: then no session is
// imported), the hash inspector, the unit of work and repositories of
// Onit's database, revocations (so a re-run while Onit serves leaves no
// stale copy in any instance's memory; nil: none to tell), and the clock.
type Importer struct {
	cfg       Config
	source    ports.DjangoSource
	codec     ports.DjangoSessionCodec
	inspector ports.PasswordHashInspector
	uow       ports.UnitOfWork
	repos     ports.Repos
	revs      ports.Revocations
	clock     ports.Clock
	log       *slog.Logger
}

// New builds an importer; see Importer for the ports. A nil log discards.
func New(cfg Config, source ports.DjangoSource, codec ports.DjangoSessionCodec, inspector ports.PasswordHashInspector,
	uow ports.UnitOfWork, repos ports.Repos, revs ports.Revocations, clock ports.Clock, log *slog.Logger,
) *Importer {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.ResumeWithin <= 0 {
		cfg.ResumeWithin = DefaultResumeWithin
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Importer{cfg: cfg, source: source, codec: codec, inspector: inspector, uow: uow, repos: repos,
		revs: revs, clock: clock, log: log}
}

// ErrBatchSize: the batch size is outside 1..MaxBatchSize.
var ErrBatchSize = domain.E(domain.KindInvalid, "cutover.batch_size")

// run is the state of one Run call.
type run struct {
	cutover.Run
	dry        bool
	now        time.Time
	collisions map[int64]string // Django ID -> email key, for rows that collide
	sampleStep int64
	progress   ports.ImportProgress
	resumed    bool
	abandoned  int64
}

// Run imports from the source and returns the report. An error leaves the
// run resumable (its last committed batch is saved); the report is then
// the zero value.
func (im *Importer) Run(ctx context.Context, opts Options, progress ports.ImportProgress) (Report, error) {
	if im.cfg.BatchSize > MaxBatchSize {
		return Report{}, ErrBatchSize.With(map[string]any{"max": MaxBatchSize})
	}
	r, err := im.start(ctx, opts, progress)
	if err != nil {
		return Report{}, err
	}
	if err := im.findCollisions(ctx, r); err != nil {
		return Report{}, err
	}
	for r.Phase != cutover.PhaseDone {
		var err error
		switch r.Phase {
		case cutover.PhaseUsers:
			err = im.users(ctx, r)
		case cutover.PhaseGone:
			err = im.gone(ctx, r)
		case cutover.PhaseSessions:
			err = im.sessions(ctx, r)
		case cutover.PhaseStale:
			err = im.stale(ctx, r)
		default:
			err = fmt.Errorf("import run %d is in an unknown phase %q", r.ID, r.Phase)
		}
		if err != nil {
			return Report{}, err
		}
	}
	ver, err := im.verify(ctx, r)
	if err != nil {
		return Report{}, err
	}
	finished := im.clock.Now().UTC()
	r.FinishedAt, r.UpdatedAt = &finished, finished
	if !r.dry {
		if err := im.repos.ImportRuns.Save(ctx, r.Run); err != nil {
			return Report{}, fmt.Errorf("saving the finished run: %w", err)
		}
	}
	return im.report(r, ver), nil
}

// start resumes a recent interrupted run or begins a new one.
func (im *Importer) start(ctx context.Context, opts Options, progress ports.ImportProgress) (*run, error) {
	now := im.clock.Now().UTC()
	source := im.source.Describe()
	total, err := im.source.CountUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting the source's users: %w", err)
	}
	r := &run{dry: opts.DryRun, now: now, progress: progress, sampleStep: max(1, total/cutover.SampleSize)}
	r.Run = cutover.Run{Source: source, Phase: cutover.PhaseUsers, Tally: map[string]int64{}, StartedAt: now, UpdatedAt: now}
	if opts.DryRun {
		return r, nil
	}
	last, err := im.repos.ImportRuns.Latest(ctx, source)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
	case err != nil:
		return nil, fmt.Errorf("reading the last import run: %w", err)
	case last.FinishedAt == nil && !opts.Restart && now.Sub(last.UpdatedAt) < im.cfg.ResumeWithin:
		r.Run, r.resumed = last, true
		r.now = now
		im.log.InfoContext(ctx, "resuming an interrupted import", "run", last.ID, "phase", last.Phase)
		return r, nil
	case last.FinishedAt == nil:
		r.abandoned = last.ID
	}
	if err := im.repos.ImportRuns.Create(ctx, &r.Run); err != nil {
		return nil, fmt.Errorf("recording the import run: %w", err)
	}
	return r, nil
}

// commit runs fn in a unit of work (or directly on the repositories in a
// dry run, where fn must not write) with a copy of the run's tally, saves
// the run with the new cursor and counts in the same transaction, and only
// then adopts them: a retried or failed transaction counts nothing twice.
func (im *Importer) commit(ctx context.Context, r *run, fn func(ctx context.Context, repos ports.Repos, next *cutover.Run) error) error {
	attempt := func(ctx context.Context, repos ports.Repos) (cutover.Run, error) {
		next := r.Run
		next.Tally = cloneTally(r.Tally)
		next.Sample = append([]int64(nil), r.Sample...)
		if err := fn(ctx, repos, &next); err != nil {
			return cutover.Run{}, err
		}
		next.UpdatedAt = im.clock.Now().UTC()
		return next, nil
	}
	if r.dry {
		next, err := attempt(ctx, im.repos)
		if err != nil {
			return err
		}
		r.Run = next
		return nil
	}
	var committed cutover.Run
	err := im.uow.Transact(ctx, func(ctx context.Context, repos ports.Repos) error {
		next, err := attempt(ctx, repos)
		if err != nil {
			return err
		}
		if err := repos.ImportRuns.Save(ctx, next); err != nil {
			return err
		}
		committed = next
		return nil
	})
	if err != nil {
		return err
	}
	r.Run = committed
	return nil
}

// nextPhase moves the run on and, outside a dry run, saves that.
func (im *Importer) nextPhase(ctx context.Context, r *run, p cutover.Phase) error {
	return im.commit(ctx, r, func(_ context.Context, _ ports.Repos, next *cutover.Run) error {
		next.Phase, next.AfterUserID, next.AfterSessionKey = p, 0, ""
		return nil
	})
}

// invalidate tells every instance about sessions that changed or went and
// users that changed. It runs after the commit; a failure fails nothing
// (the database is the truth, and each channel retries) but is logged.
func (im *Importer) invalidate(ctx context.Context, sessions []string, users []int64) {
	if im.revs == nil || len(sessions)+len(users) == 0 {
		return
	}
	if err := im.revs.Publish(ctx, ports.Invalidation{Sessions: sessions, Users: users}); err != nil {
		im.log.WarnContext(ctx, "invalidation not published yet", "sessions", len(sessions), "users", len(users), "err", err)
	}
}

// isConflict reports an email or source ID taken by the time of writing.
func isConflict(err error) bool {
	return err != nil && domain.IsKind(err, domain.KindConflict)
}
