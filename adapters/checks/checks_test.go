package checks

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

type fakeDB struct {
	embedded   bool
	sqlMode    string
	maxConns   int
	pending    int
	pendingErr error
}

func (f fakeDB) Embedded(context.Context) (bool, error)      { return f.embedded, nil }
func (f fakeDB) SQLMode(context.Context) (string, error)     { return f.sqlMode, nil }
func (f fakeDB) MaxConnections(context.Context) (int, error) { return f.maxConns, nil }
func (f fakeDB) PendingMigrations(context.Context) (int, error) {
	return f.pending, f.pendingErr
}

type fakeCache struct{ noTTL []string }

func (f fakeCache) KeysWithoutTTL(_ context.Context, pattern string, limit int) (int, []string, error) {
	if pattern != "onit:*" || limit <= 0 {
		return 0, nil, errors.New("unexpected pattern " + pattern)
	}
	return 120, f.noTTL, nil
}

type fakeCatalog map[string][]string

func (c fakeCatalog) Supported() []string {
	var out []string
	for l := range c {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}
func (c fakeCatalog) Keys(lang string) []string { return c[lang] }
func (c fakeCatalog) Has(lang, key string) bool { return slices.Contains(c[lang], key) }

var complete = fakeCatalog{"en": {"a.x", "a.y"}, "es": {"a.x", "a.y"}}

// goodProduction passes every check: each test case breaks one thing.
func goodProduction() Input {
	s := Config{
		Env: EnvProduction,
		Security: SecurityConfig{
			SecretKey:    "q8V3r!Zp0sL2mX7#tB9wK4yN6cJ1hF5gD0aS8eR3uI7oP2lQ9v",
			AllowedHosts: []string{"onit.example.com"},
			HSTSSeconds:  31536000, HSTSIncludeSubdomains: true, HSTSPreload: true,
			ProxySSLHeader: "X-Forwarded-Proto", TrustedProxies: []string{"10.0.0.0/16"}, ContentTypeNosniff: true,
			ReferrerPolicy: "same-origin", CrossOriginOpener: "same-origin", FrameOptions: "DENY",
		},
		Sessions: SessionsConfig{CookieSecure: true, CookieHTTPOnly: true},
		MySQL: MySQLConfig{Host: "onit.abc.eu-west-1.rds.amazonaws.com", TLS: true, MaxOpenConns: 10, Instances: 4, ServerMaxConns: 60,
			CommandConns: 5, ReplicaMaxOpenConns: 10, ReplicaServerMaxConns: 60},
		Redis: RedisConfig{Addrs: []string{"onit-abc.serverless.euw1.cache.amazonaws.com:6379"}, RedisTLS: true, Cluster: true, KeyPrefix: "onit:",
			CacheSize: 10000, CacheTTL: time.Minute},
		Password: PasswordConfig{Validators: []string{"similarity", "min_length", "common", "numeric"}},
		Log:      LogConfig{Format: "json"},
		Metrics:  MetricsConfig{MetricsToken: strings.Repeat("t0k3n", 8)},
		Email: EmailConfig{Host: "email-smtp.eu-west-1.amazonaws.com", Username: "AKIA", TLS: "starttls",
			PublicURL: "https://onit.example.com", CORSAllowedOrigins: []string{"https://app.example.com"}},
	}
	return Input{
		Config:    s,
		DB:        fakeDB{sqlMode: "STRICT_TRANS_TABLES,NO_ZERO_DATE", maxConns: 85},
		Cache:     fakeCache{},
		Catalog:   complete,
		Languages: []string{"en", "es"},
	}
}

// withReplica configures a read replica whose server allows maxConns
// connections; 0: it does not answer.
func withReplica(in *Input, maxConns int) {
	in.Config.MySQL.ReplicaHost = "onit.cluster-ro-abc.eu-west-1.rds.amazonaws.com"
	if maxConns == 0 {
		in.ReplicaErr = errors.New("dial tcp: connection refused")
		return
	}
	in.Replica = fakeDB{sqlMode: "STRICT_TRANS_TABLES", maxConns: maxConns}
}

func ids(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

func TestCleanProductionPasses(t *testing.T) {
	if got := Run(context.Background(), goodProduction(), true); len(got) > 0 {
		t.Fatalf("findings on a clean production configuration: %+v", got)
	}
}

// Each case breaks (or, for "passes" cases, changes without breaking) one
// thing of a clean production configuration; want is every finding.
func TestDeployChecks(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(in *Input)
		want  []string
		inMsg string // a fragment the first finding's message must carry
	}{
		{"W004 HSTS off", func(in *Input) { in.Config.Security.HSTSSeconds = 0 }, []string{"onit.W004"}, "ONIT_HSTS_SECONDS"},
		{"W050 HSTS under a year", func(in *Input) { in.Config.Security.HSTSSeconds = 3600 }, []string{"onit.W050"}, "3600"},
		{"W050 passes at two years", func(in *Input) { in.Config.Security.HSTSSeconds = 2 * oneYear }, nil, ""},
		{"W005 no includeSubDomains", func(in *Input) { in.Config.Security.HSTSIncludeSubdomains = false }, []string{"onit.W005"}, ""},
		{"W021 no preload", func(in *Input) { in.Config.Security.HSTSPreload = false }, []string{"onit.W021"}, ""},
		{"W006 nosniff off", func(in *Input) { in.Config.Security.ContentTypeNosniff = false }, []string{"onit.W006"}, "nosniff"},
		{"W008 plain HTTP", func(in *Input) { in.Config.Security.ProxySSLHeader = "" }, []string{"onit.W008"}, ""},
		{"W008 passes with a redirect", func(in *Input) {
			in.Config.Security.ProxySSLHeader = ""
			in.Config.Security.SSLRedirect = true
		}, nil, ""},
		{"W009 short key", func(in *Input) { in.Config.Security.SecretKey = "too-short" }, []string{"onit.W009"}, "fewer than 50"},
		{"W009 development key", func(in *Input) {
			in.Config.Security.SecretKey = "django-insecure-onit-development-key-never-use-in-production-0123456789"
		}, []string{"onit.W009"}, "django-insecure-"},
		{"W009 few distinct characters", func(in *Input) { in.Config.Security.SecretKey = strings.Repeat("abab", 20) }, []string{"onit.W009"}, "distinct"},
		{"W025 weak fallback", func(in *Input) {
			in.Config.Security.SecretKeyFallbacks = []string{in.Config.Security.SecretKey + "x", "old"}
		}, []string{"onit.W025"}, "entry 2"},
		{"W025 passes with a strong fallback", func(in *Input) {
			in.Config.Security.SecretKeyFallbacks = []string{in.Config.Security.SecretKey + "x"}
		}, nil, ""},
		{"W012 cookie not Secure", func(in *Input) { in.Config.Sessions.CookieSecure = false }, []string{"onit.W012"}, ""},
		{"W015 cookie not HttpOnly", func(in *Input) { in.Config.Sessions.CookieHTTPOnly = false }, []string{"onit.W015"}, ""},
		{"W018 debug", func(in *Input) { in.Config.Security.Debug = true }, []string{"onit.W018"}, ""},
		{"W019 frame options", func(in *Input) { in.Config.Security.FrameOptions = "SAMEORIGIN" }, []string{"onit.W019"}, "SAMEORIGIN"},
		{"W064 proxy header without trusted proxies", func(in *Input) { in.Config.Security.TrustedProxies = nil }, []string{"onit.W064"}, "ONIT_TRUSTED_PROXIES"},
		{"W064 passes without a proxy header", func(in *Input) {
			in.Config.Security.TrustedProxies, in.Config.Security.ProxySSLHeader = nil, ""
			in.Config.Security.SSLRedirect = true
		}, nil, ""},
		{"E065 bad trusted proxy", func(in *Input) { in.Config.Security.TrustedProxies = []string{"10.0.0.0/16", "lb.internal"} }, []string{"onit.E065"}, "lb.internal"},
		{"W020 no hosts", func(in *Input) { in.Config.Security.AllowedHosts = nil }, []string{"onit.W020"}, "refuses every request"},
		{"W020 any host", func(in *Input) { in.Config.Security.AllowedHosts = []string{"onit.example.com", "*"} }, []string{"onit.W020"}, ""},
		{"W022 no referrer policy", func(in *Input) { in.Config.Security.ReferrerPolicy = "" }, []string{"onit.W022"}, ""},
		{"E023 bad referrer policy", func(in *Input) { in.Config.Security.ReferrerPolicy = "same-origin, nope" }, []string{"onit.E023"}, "nope"},
		{"E023 passes with a fallback list", func(in *Input) {
			in.Config.Security.ReferrerPolicy = "no-referrer, strict-origin-when-cross-origin"
		}, nil, ""},
		{"E024 bad opener policy", func(in *Input) { in.Config.Security.CrossOriginOpener = "same-site" }, []string{"onit.E024"}, "same-site"},
		{"E024 passes when unset", func(in *Input) { in.Config.Security.CrossOriginOpener = "" }, nil, ""},
		{"W051 lax sql_mode", func(in *Input) {
			in.DB = fakeDB{sqlMode: "NO_ENGINE_SUBSTITUTION", maxConns: 85}
		}, []string{"onit.W051"}, "NO_ENGINE_SUBSTITUTION"},
		{"W051 passes with STRICT_ALL_TABLES", func(in *Input) {
			in.DB = fakeDB{sqlMode: "strict_all_tables", maxConns: 85}
		}, nil, ""},
		{"W052 MySQL without TLS", func(in *Input) { in.Config.MySQL.TLS = false }, []string{"onit.W052"}, ""},
		{"W053 Redis without TLS", func(in *Input) { in.Config.Redis.RedisTLS = false }, []string{"onit.W053"}, ""},
		{"W054 Redis not clustered", func(in *Input) { in.Config.Redis.Cluster = false }, []string{"onit.W054"}, ""},
		{"E055 pool budget exceeded", func(in *Input) { in.Config.MySQL.MaxOpenConns = 20 }, []string{"onit.E055"}, "= 80"},
		{"E055 passes exactly at the budget", func(in *Input) {
			in.Config.MySQL.MaxOpenConns = 15
			in.Config.MySQL.CommandConns = 0
		}, nil, ""},
		{"W080 the commands' reserve exceeds the budget", func(in *Input) { in.Config.MySQL.MaxOpenConns = 14 }, []string{"onit.W080"}, "+ 5 reserved for commands = 61"},
		{"W080 stays quiet when E055 fires", func(in *Input) { in.Config.MySQL.MaxOpenConns = 16 }, []string{"onit.E055"}, ""},
		{"replica within every budget", func(in *Input) {
			in.Config.MySQL.MaxOpenConns, in.Config.MySQL.ReplicaMaxOpenConns = 6, 6
			withReplica(in, 85)
		}, nil, ""},
		{"W081 replica pools exceed the replica's budget", func(in *Input) {
			in.Config.MySQL.MaxOpenConns, in.Config.MySQL.ReplicaMaxOpenConns = 2, 16
			in.Config.MySQL.ServerMaxConns = 80
			withReplica(in, 85)
		}, []string{"onit.W081"}, "= 64"},
		{"W082 both pools exceed the writer's budget", func(in *Input) { withReplica(in, 85) }, []string{"onit.W082"}, "(10 primary + 10 replica connections) per instance × 4 instances + 5 for commands = 85"},
		{"W083 replica allows less than its budget", func(in *Input) {
			in.Config.MySQL.MaxOpenConns, in.Config.MySQL.ReplicaMaxOpenConns = 6, 6
			withReplica(in, 40)
		}, []string{"onit.W083"}, "40"},
		{"W084 replica does not answer", func(in *Input) {
			in.Config.MySQL.MaxOpenConns, in.Config.MySQL.ReplicaMaxOpenConns = 6, 6
			withReplica(in, 0)
		}, []string{"onit.W084"}, "connection refused"},
		{"W056 server allows less than the budget", func(in *Input) {
			in.DB = fakeDB{sqlMode: "STRICT_TRANS_TABLES", maxConns: 40}
		}, []string{"onit.W056"}, "40"},
		{"W057 keys without TTL", func(in *Input) { in.Cache = fakeCache{noTTL: []string{"onit:x", "onit:y"}} }, []string{"onit.W057"}, "2 of 120"},
		{"W058 validators off", func(in *Input) { in.Config.Password.Validators = []string{"min_length"} }, []string{"onit.W058"}, "similarity, common, numeric"},
		{"W059 text logs", func(in *Input) { in.Config.Log.Format = "text" }, []string{"onit.W059"}, ""},
		{"E060 embedded engine", func(in *Input) {
			in.DB = fakeDB{embedded: true, sqlMode: "STRICT_TRANS_TABLES", maxConns: 1000}
		}, []string{"onit.E060"}, "embedded"},
		{"E060 and E041 without MySQL", func(in *Input) { in.DB, in.DBErr = nil, ErrNotConfigured }, []string{"onit.E041", "onit.E060"}, ""},
		{"W061 MySQL on loopback", func(in *Input) { in.Config.MySQL.Host = "127.0.0.1" }, []string{"onit.W061"}, "MySQL at 127.0.0.1"},
		{"W061 Redis on loopback", func(in *Input) { in.Config.Redis.Addrs = []string{"localhost:6379"} }, []string{"onit.W061"}, "Redis at localhost:6379"},
		{"W061 passes outside production", func(in *Input) {
			in.Config.Env = EnvTest
			in.Config.MySQL.Host = "127.0.0.1"
		}, nil, ""},
		{"W090 instance caches off", func(in *Input) { in.Config.Redis.CacheSize = 0 }, []string{"onit.W090"}, "ONIT_CACHE_SIZE"},
		{"W091 long cache TTL", func(in *Input) { in.Config.Redis.CacheTTL = 10 * time.Minute }, []string{"onit.W091"}, "10m0s"},
		{"W091 passes at five minutes", func(in *Input) { in.Config.Redis.CacheTTL = 5 * time.Minute }, nil, ""},
		{"W062 metrics nowhere", func(in *Input) { in.Config.Metrics.MetricsToken = "" }, []string{"onit.W062"}, ""},
		{"W062 passes with a separate address", func(in *Input) {
			in.Config.Metrics.MetricsToken = ""
			in.Config.Metrics.MetricsAddr = ":9090"
		}, nil, ""},
		{"W063 short metrics token", func(in *Input) { in.Config.Metrics.MetricsToken = "abc" }, []string{"onit.W063"}, "3 characters"},
		{"W070 console email in production", func(in *Input) { in.Config.Email.Host = "" }, []string{"onit.W070"}, "log"},
		{"W071 no public URL", func(in *Input) { in.Config.Email.PublicURL = "" }, []string{"onit.W071"}, "first allowed host"},
		{"W071 plain-http public URL", func(in *Input) { in.Config.Email.PublicURL = "http://onit.example.com" }, []string{"onit.W071"}, "not https"},
		{"W072 CORS wildcard", func(in *Input) { in.Config.Email.CORSAllowedOrigins = []string{"*"} }, []string{"onit.W072"}, "*"},
		{"W072 CORS plain http", func(in *Input) {
			in.Config.Email.CORSAllowedOrigins = []string{"https://ok.example.com", "http://app.example.com"}
		}, []string{"onit.W072"}, "http://app.example.com"},
		{"W073 SMTP AUTH in clear", func(in *Input) { in.Config.Email.TLS = "none" }, []string{"onit.W073"}, "clear"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodProduction()
			tt.edit(&in)
			got := Run(context.Background(), in, true)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(ids(got), want) {
				t.Fatalf("findings = %v, want %v: %+v", ids(got), want, got)
			}
			if tt.inMsg != "" && !strings.Contains(got[0].Msg, tt.inMsg) {
				t.Errorf("message %q lacks %q", got[0].Msg, tt.inMsg)
			}
			for _, f := range got {
				if f.Msg == "" || f.Level != specByID[f.ID].Level {
					t.Errorf("finding %+v: empty message or level differs from its spec", f)
				}
			}
		})
	}
}

func TestSystemChecks(t *testing.T) {
	down := errors.New("dial tcp 10.0.0.1:3306: i/o timeout")
	tests := []struct {
		name string
		edit func(in *Input)
		want []string
	}{
		{"clean", func(*Input) {}, nil},
		{"E040 settings error stops everything", func(in *Input) {
			in.SettingsErr = errors.New("setting ONIT_HTTP_ADDR: must not be empty")
			in.DB, in.DBErr = nil, down
		}, []string{"onit.E040"}},
		{"E041 MySQL down", func(in *Input) { in.DB, in.DBErr = nil, down }, []string{"onit.E041"}},
		{"E041 MySQL not configured in production", func(in *Input) { in.DB, in.DBErr = nil, ErrNotConfigured }, []string{"onit.E041"}},
		{"E041 passes when development has no MySQL (embedded engine)", func(in *Input) {
			in.Config.Env = EnvDevelopment
			in.DB, in.DBErr = nil, ErrNotConfigured
		}, nil},
		{"E042 Redis down", func(in *Input) { in.Cache, in.CacheErr = nil, down }, []string{"onit.E042"}},
		{"E042 passes when development has no Redis", func(in *Input) {
			in.Config.Env = EnvDevelopment
			in.Cache, in.CacheErr = nil, ErrNotConfigured
		}, nil},
		{"W043 pending migrations", func(in *Input) {
			in.DB = fakeDB{pending: 2}
		}, []string{"onit.W043"}},
		{"W043 unreadable migration state", func(in *Input) {
			in.DB = fakeDB{pendingErr: errors.New("lock held")}
		}, []string{"onit.W043"}},
		{"W044 missing translation", func(in *Input) {
			in.Catalog = fakeCatalog{"en": {"a.x", "a.y"}, "es": {"a.x"}}
		}, []string{"onit.W044"}},
		{"W044 user language without catalog", func(in *Input) { in.Languages = []string{"en", "es", "it"} }, []string{"onit.W044"}},
		{"E045 catalog does not load", func(in *Input) { in.Catalog, in.CatalogErr = nil, errors.New(`no catalog for "pt"`) }, []string{"onit.E045"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodProduction()
			tt.edit(&in)
			// Without --deploy only the system checks run, so the (clean)
			// deploy settings do not matter here.
			got := Run(context.Background(), in, false)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(ids(got), want) {
				t.Fatalf("findings = %v, want %v: %+v", ids(got), want, got)
			}
		})
	}
}

func TestDevelopmentDefaultsWithoutDeploy(t *testing.T) {
	in := goodProduction()
	// What env.Defaults(env.Development) gives (bootstrap's mapping is
	// tested there).
	in.Config = Config{
		Env: EnvDevelopment,
		Security: SecurityConfig{SecretKey: "django-insecure-onit-development-key-never-use-in-production-0123456789", Debug: true,
			ContentTypeNosniff: true, ReferrerPolicy: "same-origin", CrossOriginOpener: "same-origin", FrameOptions: "DENY"},
		Sessions: SessionsConfig{CookieHTTPOnly: true},
		MySQL:    MySQLConfig{MaxOpenConns: 10, Instances: 4, ServerMaxConns: 60},
		Redis:    RedisConfig{KeyPrefix: "onit:"},
		Password: PasswordConfig{Validators: []string{"similarity", "min_length", "common", "numeric"}},
		Log:      LogConfig{Format: "text"},
	}
	if got := Run(context.Background(), in, false); len(got) > 0 {
		t.Errorf("`onit check` on development defaults: %+v", got)
	}
	// With --deploy the development defaults fail the checklist loudly.
	got := ids(Run(context.Background(), in, true))
	for _, id := range []string{"onit.W004", "onit.W009", "onit.W012", "onit.W018", "onit.W020", "onit.W052", "onit.W059"} {
		if !slices.Contains(got, id) {
			t.Errorf("--deploy on development defaults lacks %s: %v", id, got)
		}
	}
}

func TestSpecs(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Specs() {
		if seen[s.ID] {
			t.Errorf("%s listed twice", s.ID)
		}
		seen[s.ID] = true
		wantPrefix := map[Level]string{Warning: "onit.W", Error: "onit.E"}[s.Level]
		if !strings.HasPrefix(s.ID, wantPrefix) {
			t.Errorf("%s: level %v does not match its ID", s.ID, s.Level)
		}
		if s.Summary == "" {
			t.Errorf("%s has no summary", s.ID)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Level
		ok   bool
	}{{"warning", Warning, true}, {"ERROR", Error, true}, {"Critical", Critical, true}, {"fatal", 0, false}} {
		got, err := ParseLevel(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestGlobEscape(t *testing.T) {
	if got := globEscape(`a*b?[c]\`); got != `a\*b\?\[c\]\\` {
		t.Errorf("globEscape = %q", got)
	}
}
