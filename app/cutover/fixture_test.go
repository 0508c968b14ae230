package cutover_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onitapp/onit/adapters/djangohash"
	"github.com/onitapp/onit/adapters/djangosession"
	"github.com/onitapp/onit/adapters/djangosession/djangosessiontest"
	"github.com/onitapp/onit/adapters/memory"
	"github.com/onitapp/onit/app/cutover"
	"github.com/onitapp/onit/domain/accounts"
	dc "github.com/onitapp/onit/domain/cutover"
	"github.com/onitapp/onit/ports"
)

const secret = "django-insecure-the-old-backends-secret-key-0123456789abcdef"

// Password hashes of "lètmein" (and a few others) in formats Django makes;
// the import copies them, it never computes them.
const (
	hashPBKDF2    = "pbkdf2_sha256$870000$seasalt$wJSpLMQRQz0Dhj/pFpbyjMj71B2gUYp6HJS5AU+32Ac="
	hashPBKDF2Old = "pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ="
	hashSHA1      = "pbkdf2_sha1$1000$seasalt$ljleU4wBmTtz/MoG5YTwxpM0d7I="
	hashArgon2    = "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw"
	hashBcrypt    = "bcrypt_sha256$$2b$12$Ro0CUfOqk6cXEKf3dyaM7Oc3mvq5kAGzpMOiFZcWXpDDYnLjfqzX."
	hashMD5       = "md5$seasalt$2b33a2a1b1c1e1f1a1b1c1d1e1f1a1b1"
	hashUnusable  = "!rEzGqW8wKZ0bXyV3mN5p2ZcL7tHjD9sQf1aU4oIe"
)

var (
	t0     = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	joined = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// progress records what the importer shows.
type progress struct {
	mu      sync.Mutex
	phases  []string
	totals  map[string]int64
	advance map[string]int64
	cur     string
	onAdv   func(phase string, done int64)
}

func newProgress() *progress {
	return &progress{totals: map[string]int64{}, advance: map[string]int64{}}
}

func (p *progress) Phase(name string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phases = append(p.phases, name)
	p.totals[name], p.cur = total, name
}

func (p *progress) Advance(n int64) {
	p.mu.Lock()
	p.advance[p.cur] += n
	cur, done, hook := p.cur, p.advance[p.cur], p.onAdv
	p.mu.Unlock()
	if hook != nil {
		hook(cur, done)
	}
}

func (p *progress) Done() {}

// fixture is Onit on memory twins and a memory Django source.
type fixture struct {
	clock    *clock
	users    *memory.UserRepository
	sessions *memory.SessionRepository
	repos    ports.Repos
	uow      ports.UnitOfWork
	source   *memory.DjangoSource
	codec    ports.DjangoSessionCodec
	hasher   *djangohash.Hasher
	cfg      cutover.Config
}

func newFixture(t *testing.T, users []dc.SourceUser, sessions []dc.SourceSession) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{now: t0}, users: memory.NewUserRepository(), sessions: memory.NewSessionRepository(),
		source: memory.NewDjangoSource(users, sessions), hasher: djangohash.New(1000),
		cfg: cutover.Config{BatchSize: 3, DefaultLanguage: "en"}}
	f.repos = ports.Repos{Users: f.users, Sessions: f.sessions,
		ImportedUsers:    memory.NewImportedUserRepository(f.users),
		ImportedSessions: memory.NewImportedSessionRepository(f.sessions),
		ImportRuns:       memory.NewImportRunRepository()}
	f.uow = memory.NewUnitOfWork(memory.NewProjectsStore(f.users), f.repos)
	codec, err := djangosession.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	f.codec = codec
	return f
}

func (f *fixture) importer() *cutover.Importer {
	return cutover.New(f.cfg, f.source, f.codec, f.hasher, f.uow, f.repos, nil, f.clock, nil)
}

func (f *fixture) run(t *testing.T, opts cutover.Options) cutover.Report {
	t.Helper()
	rep, err := f.importer().Run(context.Background(), opts, newProgress())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// user builds a Django auth_user row.
func user(id int64, email, password string) dc.SourceUser {
	return dc.SourceUser{ID: id, Email: email, FirstName: "User", LastName: fmt.Sprint(id), Username: fmt.Sprintf("u%d", id),
		Password: password, IsActive: true, DateJoined: joined}
}

// login is a Django session of u signed with the secret key; key is the
// cookie value.
func login(key string, u dc.SourceUser, expires time.Time, comp djangosessiontest.Compression) dc.SourceSession {
	return dc.SourceSession{Key: key, ExpireDate: expires,
		Data: djangosessiontest.Encode(secret, djangosessiontest.Login(secret, u.ID, u.Password), comp, t0.Add(-time.Hour))}
}

// key makes a 32-character Django session key from a tag.
func key(tag string) string { return (tag + "z" + strings.Repeat("0", 32))[:32] }

func (f *fixture) userByEmail(t *testing.T, email string) accounts.User {
	t.Helper()
	u, err := f.users.ByEmailKey(context.Background(), accounts.EmailKey(email))
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func (f *fixture) session(t *testing.T, key string) (accounts.Session, bool) {
	t.Helper()
	s, err := f.sessions.ByHash(context.Background(), accounts.HashToken(key))
	return s, err == nil
}
