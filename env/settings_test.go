package env

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFieldNamesAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, f := range Fields(Settings{}) {
		if prev, ok := seen[f.Name]; ok {
			t.Errorf("field name %s used by %s and %s: parse errors could not name the variable", f.Name, prev, f.Key)
		}
		seen[f.Name] = f.Key
		if f.Help == "" {
			t.Errorf("%s has no help text", f.Key)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte("ONIT_HTTP_ADDR=:9000\nONIT_LOG_LEVEL=warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ []string
		dotenv  string
		wantVar string // non-empty: Load must fail naming this variable
		check   func(t *testing.T, s Settings)
	}{
		{name: "development defaults", check: func(t *testing.T, s Settings) {
			if s.Env != Development || !s.Security.Debug || s.Sessions.CookieSecure || s.Log.Format != "text" {
				t.Errorf("development defaults wrong: %+v", s)
			}
		}},
		{name: "production is safe", environ: []string{"ONIT_ENV=production", "ONIT_SECRET_KEY=x"}, check: func(t *testing.T, s Settings) {
			if s.Security.Debug || !s.Sessions.CookieSecure || s.Log.Format != "json" || s.Security.HSTSSeconds == 0 || s.MySQL.MigrateOnStart {
				t.Errorf("production defaults unsafe: %+v", s)
			}
		}},
		{name: "dotenv applies", dotenv: dotenv, check: func(t *testing.T, s Settings) {
			if s.HTTP.Addr != ":9000" || s.Log.Level != "warn" {
				t.Errorf("dotenv not applied: %q %q", s.HTTP.Addr, s.Log.Level)
			}
		}},
		{name: "real variables win over dotenv", dotenv: dotenv, environ: []string{"ONIT_HTTP_ADDR=:7000"}, check: func(t *testing.T, s Settings) {
			if s.HTTP.Addr != ":7000" {
				t.Errorf("addr = %q, want :7000", s.HTTP.Addr)
			}
		}},
		{name: "lists and durations", environ: []string{"ONIT_REDIS_ADDRS=a:1,b:2", "ONIT_HTTP_REQUEST_TIMEOUT=3s"}, check: func(t *testing.T, s Settings) {
			if len(s.Redis.Addrs) != 2 || s.HTTP.RequestTimeout != 3*time.Second {
				t.Errorf("got %v %v", s.Redis.Addrs, s.HTTP.RequestTimeout)
			}
		}},
		{name: "unknown environment", environ: []string{"ONIT_ENV=staging"}, wantVar: "ONIT_ENV"},
		{name: "unparsable number", environ: []string{"ONIT_MYSQL_MAX_OPEN_CONNS=ten"}, wantVar: "ONIT_MYSQL_MAX_OPEN_CONNS"},
		{name: "unparsable duration", environ: []string{"ONIT_CACHE_TTL=soon"}, wantVar: "ONIT_CACHE_TTL"},
		{name: "unparsable bool", environ: []string{"ONIT_REDIS_CLUSTER=maybe"}, wantVar: "ONIT_REDIS_CLUSTER"},
		{name: "missing secret in production", environ: []string{"ONIT_ENV=production"}, wantVar: "ONIT_SECRET_KEY"},
		{name: "unknown log level", environ: []string{"ONIT_LOG_LEVEL=loud"}, wantVar: "ONIT_LOG_LEVEL"},
		{name: "unknown validator", environ: []string{"ONIT_PASSWORD_VALIDATORS=common,shape"}, wantVar: "ONIT_PASSWORD_VALIDATORS"},
		{name: "redis addr without port", environ: []string{"ONIT_REDIS_ADDRS=cache"}, wantVar: "ONIT_REDIS_ADDRS"},
		{name: "short redis timeout in production", environ: []string{"ONIT_ENV=production", "ONIT_SECRET_KEY=x", "ONIT_REDIS_READ_TIMEOUT=100ms"}, wantVar: "ONIT_REDIS_READ_TIMEOUT"},
		{name: "idempotency TTL", environ: []string{"ONIT_IDEMPOTENCY_TTL=2h"}, check: func(t *testing.T, s Settings) {
			if s.Idempotency.IdempotencyTTL != 2*time.Hour {
				t.Errorf("idempotency TTL = %v, want 2h", s.Idempotency.IdempotencyTTL)
			}
		}},
		{name: "idempotency TTL must be positive", environ: []string{"ONIT_IDEMPOTENCY_TTL=0s"}, wantVar: "ONIT_IDEMPOTENCY_TTL"},
		{name: "hash threads niced by default", check: func(t *testing.T, s Settings) {
			if s.Throttle.HashNice != 10 {
				t.Errorf("hash nice = %d, want 10", s.Throttle.HashNice)
			}
		}},
		{name: "hash nice above 19", environ: []string{"ONIT_PASSWORD_HASH_NICE=20"}, wantVar: "ONIT_PASSWORD_HASH_NICE"},
		{name: "negative hash nice", environ: []string{"ONIT_PASSWORD_HASH_NICE=-1"}, wantVar: "ONIT_PASSWORD_HASH_NICE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(Source{Environ: tt.environ, DotEnv: tt.dotenv})
			if tt.wantVar != "" {
				var se *Error
				if !errors.As(err, &se) || se.Var != tt.wantVar {
					t.Fatalf("err = %v, want a settings error naming %s", err, tt.wantVar)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// Two bad variables, one that does not parse and one that breaks a rule,
// are both in the one report, in the order of the settings table.
func TestEveryInvalidSettingIsReported(t *testing.T) {
	_, err := Load(Source{Environ: []string{"ONIT_LOG_LEVEL=loud", "ONIT_MYSQL_MAX_OPEN_CONNS=lots", "ONIT_CACHE_TTL=soon"}})
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v (%T), want Errors", err, err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Var)
	}
	want := []string{"ONIT_MYSQL_MAX_OPEN_CONNS", "ONIT_CACHE_TTL", "ONIT_LOG_LEVEL"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("reported %v, want %v", got, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "3 invalid settings:\n") || !strings.Contains(msg, "  ONIT_LOG_LEVEL: unknown level \"loud\"") {
		t.Errorf("report reads:\n%s", msg)
	}
}

func TestUnknownVariables(t *testing.T) {
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte("ONIT_SECRETKEY=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := UnknownVariables(Source{DotEnv: dotenv, Environ: []string{
		"ONIT_MYSQL_DNS=u:p@tcp(db:3306)/onit", // transposed letters
		"ONIT_LOG_LEVL=debug",                  // a letter missing
		"ONIT_FROBNICATE=1",                    // nothing close
		"ONIT_HTTP_ADDR=:9000",                 // known
		"ONIT_TEST_MYSQL_DSN=x",                // read by test helpers
		"PATH=/usr/bin",                        // not Onit's
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Unknown{
		{Name: "ONIT_FROBNICATE"},
		{Name: "ONIT_LOG_LEVL", Closest: "ONIT_LOG_LEVEL"},
		{Name: "ONIT_MYSQL_DNS", Closest: "ONIT_MYSQL_DSN"},
		{Name: "ONIT_SECRETKEY", Closest: "ONIT_SECRET_KEY"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := want[2].String(); s != "ONIT_MYSQL_DNS is not a setting Onit reads; did you mean ONIT_MYSQL_DSN?" {
		t.Errorf("warning reads %q", s)
	}
}

func TestMissingDotEnvIsFine(t *testing.T) {
	if _, err := Load(Source{DotEnv: filepath.Join(t.TempDir(), "absent")}); err != nil {
		t.Fatal(err)
	}
}

func TestPrintRedactsSecretsAndMarksChanges(t *testing.T) {
	s, err := Load(Source{Environ: []string{
		"ONIT_SECRET_KEY=hunter2-very-secret",
		"ONIT_MYSQL_DSN=onit:s3cr3t@tcp(db:3306)/onit",
		"ONIT_REDIS_PASSWORD=redispass",
		"ONIT_HTTP_ADDR=:9999",
	}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Print(&b, s, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{"hunter2", "s3cr3t", "redispass"} {
		if strings.Contains(out, secret) {
			t.Errorf("output leaks %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"ONIT_HTTP_ADDR=:9999  ###", "ONIT_MYSQL_DSN=onit:********@tcp(db:3306)/onit  ###", "ONIT_LOG_FORMAT=text\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := Print(&b, s, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "ONIT_LOG_FORMAT") {
		t.Errorf("only-changed output lists an unchanged setting:\n%s", b.String())
	}
}

func FuzzLoad(f *testing.F) {
	for _, seed := range []string{"ONIT_MYSQL_MAX_OPEN_CONNS=3", "ONIT_CACHE_TTL=1h", "ONIT_REDIS_ADDRS=a:1,b:2", "ONIT_ENV=test", "ONIT_PASSWORD_MAX_SIMILARITY=NaN"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		_, err := Load(Source{Environ: []string{kv}})
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a settings error", err)
			}
		}
	})
}
