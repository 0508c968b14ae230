package env

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"
)

// Source is where settings come from: the process environment and the path
// of an optional .env file. Real environment variables win over the file.
type Source struct {
	Environ []string // KEY=value pairs, as os.Environ returns them
	DotEnv  string   // path of a .env file; missing is fine, unreadable is not
}

// FromOS reads the process environment and ./.env.
func FromOS() Source { return Source{Environ: os.Environ(), DotEnv: ".env"} }

// Error is a settings error; it names the variable so the operator can fix it.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("setting %s: %s", e.Var, e.Msg) }

// Errors is every invalid setting found in one reading, so the operator
// fixes them all at once rather than one per start.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	lines := make([]string, 0, len(es)+1)
	lines = append(lines, fmt.Sprintf("%d invalid settings:", len(es)))
	for _, e := range es {
		lines = append(lines, "  "+e.Var+": "+e.Msg)
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each error, so errors.As finds the first *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errorsOf returns nil for no errors, so callers compare with nil safely.
func errorsOf(es Errors) error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Load builds the effective settings for the environment named by ONIT_ENV
// (default development), applying the .env file and then real variables.
func Load(src Source) (Settings, error) {
	vars, err := src.vars()
	if err != nil {
		return Settings{}, err
	}
	name := vars["ONIT_ENV"]
	if name == "" {
		name = string(Development)
	}
	e := Environment(name)
	switch e {
	case Development, Test, Production:
	default:
		return Settings{}, &Error{Var: "ONIT_ENV", Msg: fmt.Sprintf("unknown environment %q (want development, test or production)", name)}
	}
	s := Defaults(e)
	var errs Errors
	if err := env.ParseWithOptions(&s, env.Options{Environment: vars}); err != nil {
		errs = append(errs, explain(err)...)
	}
	// Validated even after parse errors: the fields that failed keep their
	// defaults, and the others may have problems of their own.
	errs = append(errs, s.validate()...)
	if err := errorsOf(errs); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func (src Source) vars() (map[string]string, error) {
	vars := map[string]string{}
	if src.DotEnv != "" {
		file, err := godotenv.Read(src.DotEnv)
		switch {
		case err == nil:
			for k, v := range file {
				vars[k] = v
			}
		case errors.Is(err, os.ErrNotExist):
		default:
			return nil, &Error{Var: src.DotEnv, Msg: err.Error()}
		}
	}
	for _, kv := range src.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return vars, nil
}

// explain turns the library's errors, which name Go fields, into ones that
// name the variable: every one of them, not only the first.
func explain(err error) Errors {
	all := []error{err}
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		all = agg.Errors
	}
	out := make(Errors, 0, len(all))
	for _, e := range all {
		var pe env.ParseError
		if errors.As(e, &pe) {
			msg := pe.Err.Error()
			if i := strings.LastIndex(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
			out = append(out, &Error{Var: keyOf(pe.Name), Msg: fmt.Sprintf("not a valid %s (%s)", pe.Type, msg)})
			continue
		}
		out = append(out, &Error{Var: "environment", Msg: e.Error()})
	}
	return out
}

// keyOf finds the variable of a settings field by its (unique) Go name.
func keyOf(field string) string {
	for _, f := range Fields(Settings{}) {
		if f.Name == field {
			return f.Key
		}
	}
	return field
}

// validate returns every rule the settings break.
func (s *Settings) validate() Errors {
	var errs Errors
	bad := func(key, format string, a ...any) {
		errs = append(errs, &Error{Var: key, Msg: fmt.Sprintf(format, a...)})
	}
	if s.Env == Production && s.Security.SecretKey == "" {
		bad("ONIT_SECRET_KEY", "required in production")
	}
	if s.HTTP.Addr == "" {
		bad("ONIT_HTTP_ADDR", "must not be empty")
	}
	if s.MySQL.MaxOpenConns < 1 {
		bad("ONIT_MYSQL_MAX_OPEN_CONNS", "must be at least 1")
	}
	if s.Redis.PoolSize < 1 {
		bad("ONIT_REDIS_POOL_SIZE", "must be at least 1")
	}
	if s.Redis.CommandTimeout <= 0 || (s.HTTP.RequestTimeout > 0 && s.Redis.CommandTimeout >= s.HTTP.RequestTimeout) {
		bad("ONIT_REDIS_COMMAND_TIMEOUT", "must be positive and below ONIT_HTTP_REQUEST_TIMEOUT")
	}
	if s.Redis.BreakerFailures < 1 {
		bad("ONIT_REDIS_BREAKER_FAILURES", "must be at least 1")
	}
	if s.Redis.BreakerOpen <= 0 {
		bad("ONIT_REDIS_BREAKER_OPEN", "must be positive")
	}
	if s.Password.MinLength < 1 {
		bad("ONIT_PASSWORD_MIN_LENGTH", "must be at least 1")
	}
	if !(s.Password.MaxSimilarity >= 0.1 && s.Password.MaxSimilarity <= 1) {
		bad("ONIT_PASSWORD_MAX_SIMILARITY", "must be between 0.1 and 1")
	}
	if s.Throttle.HashNice < 0 || s.Throttle.HashNice > 19 {
		bad("ONIT_PASSWORD_HASH_NICE", "must be between 0 and 19")
	}
	if s.Password.Iterations < 1 {
		bad("ONIT_PASSWORD_ITERATIONS", "must be at least 1")
	}
	if s.Idempotency.IdempotencyTTL <= 0 {
		bad("ONIT_IDEMPOTENCY_TTL", "must be positive")
	}
	if s.MySQL.MigrateLockTimeout <= 0 {
		bad("ONIT_MIGRATE_LOCK_TIMEOUT", "must be positive")
	}
	if s.MySQL.CommandConns < 0 {
		bad("ONIT_MYSQL_COMMAND_CONNECTIONS", "must not be negative")
	}
	if s.MySQL.ReplicaMaxOpenConns < 1 {
		bad("ONIT_MYSQL_REPLICA_MAX_OPEN_CONNS", "must be at least 1")
	}
	if s.MySQL.ReplicaMaxLag <= 0 {
		bad("ONIT_MYSQL_REPLICA_MAX_LAG", "must be positive")
	}
	if s.MySQL.ReplicaReadYourWrites < 0 {
		bad("ONIT_MYSQL_REPLICA_READ_YOUR_WRITES", "must not be negative")
	}
	if s.PasswordReset.ResetTimeout <= 0 {
		bad("ONIT_PASSWORD_RESET_TIMEOUT", "must be positive")
	}
	if s.PasswordReset.ResetThrottleWindow <= 0 {
		bad("ONIT_PASSWORD_RESET_THROTTLE_WINDOW", "must be positive")
	}
	if u := s.PasswordReset.PublicURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		bad("ONIT_PUBLIC_URL", "%q is not an http(s) URL", u)
	}
	switch s.Email.EmailTLS {
	case "starttls", "tls", "none":
	default:
		bad("ONIT_EMAIL_TLS", "unknown mode %q (want starttls, tls or none)", s.Email.EmailTLS)
	}
	for _, o := range s.CORS.CORSAllowedOrigins {
		if o != "*" && !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") {
			bad("ONIT_CORS_ALLOWED_ORIGINS", "%q is not an origin (scheme://host[:port])", o)
		}
	}
	if s.Env == Production {
		for key, d := range map[string]time.Duration{
			"ONIT_REDIS_READ_TIMEOUT": s.Redis.RedisReadTimeout, "ONIT_REDIS_WRITE_TIMEOUT": s.Redis.RedisWriteTimeout,
			"ONIT_REDIS_DIAL_TIMEOUT": s.Redis.RedisDialTimeout,
		} {
			if d < time.Second {
				bad(key, "must be at least 1s in production")
			}
		}
	}
	for _, v := range s.Password.Validators {
		switch v {
		case "similarity", "min_length", "common", "numeric":
		default:
			bad("ONIT_PASSWORD_VALIDATORS", "unknown validator %q (want similarity, min_length, common, numeric)", v)
		}
	}
	switch strings.ToLower(s.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("ONIT_LOG_LEVEL", "unknown level %q (want debug, info, warn or error)", s.Log.Level)
	}
	switch s.Log.Format {
	case "json", "text":
	default:
		bad("ONIT_LOG_FORMAT", "unknown format %q (want json or text)", s.Log.Format)
	}
	if s.Log.FlushInterval < 0 || s.Log.FlushInterval > 10*time.Second {
		bad("ONIT_LOG_FLUSH_INTERVAL", "must be between 0 and 10s")
	}
	for _, a := range s.Redis.Addrs {
		if !strings.Contains(a, ":") {
			bad("ONIT_REDIS_ADDRS", "%q is not host:port", a)
		}
	}
	// Map iteration above is unordered; the report is read by people.
	sort.SliceStable(errs, func(i, j int) bool { return keyIndex(errs[i].Var) < keyIndex(errs[j].Var) })
	return errs
}

// keyIndex is a variable's position in Settings, for a stable report order.
func keyIndex(key string) int {
	for i, f := range Fields(Settings{}) {
		if f.Key == key {
			return i
		}
	}
	return len(key) << 16
}

// Field describes one setting, for `onit settings` and the README table.
type Field struct {
	Name   string // Go field name, unique across Settings
	Key    string // environment variable
	Help   string
	Secret string // "", "true" or "dsn"
	Value  reflect.Value
}

// Fields lists every setting of s in declaration order.
func Fields(s Settings) []Field {
	var out []Field
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			fv := v.Field(i)
			key := sf.Tag.Get("env")
			if key == "" && sf.Type.Kind() == reflect.Struct {
				walk(fv)
				continue
			}
			if key == "" || key == "-" {
				continue
			}
			out = append(out, Field{Name: sf.Name, Key: key, Help: sf.Tag.Get("help"), Secret: sf.Tag.Get("secret"), Value: fv})
		}
	}
	walk(reflect.ValueOf(s))
	return out
}
