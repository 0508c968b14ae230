package env

import (
	"errors"
	"fmt"
	"os"
	"reflect"
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
	if err := env.ParseWithOptions(&s, env.Options{Environment: vars}); err != nil {
		return Settings{}, explain(err)
	}
	if err := s.validate(); err != nil {
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
// name the variable.
func explain(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return &Error{Var: keyOf(pe.Name), Msg: fmt.Sprintf("not a valid %s (%s)", pe.Type, msg)}
	}
	return &Error{Var: "environment", Msg: err.Error()}
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

func (s *Settings) validate() error {
	switch {
	case s.Env == Production && s.Security.SecretKey == "":
		return &Error{Var: "ONIT_SECRET_KEY", Msg: "required in production"}
	case s.HTTP.Addr == "":
		return &Error{Var: "ONIT_HTTP_ADDR", Msg: "must not be empty"}
	case s.MySQL.MaxOpenConns < 1:
		return &Error{Var: "ONIT_MYSQL_MAX_OPEN_CONNS", Msg: "must be at least 1"}
	case s.Redis.PoolSize < 1:
		return &Error{Var: "ONIT_REDIS_POOL_SIZE", Msg: "must be at least 1"}
	case s.Password.MinLength < 1:
		return &Error{Var: "ONIT_PASSWORD_MIN_LENGTH", Msg: "must be at least 1"}
	case !(s.Password.MaxSimilarity >= 0.1 && s.Password.MaxSimilarity <= 1):
		return &Error{Var: "ONIT_PASSWORD_MAX_SIMILARITY", Msg: "must be between 0.1 and 1"}
	case s.Password.Iterations < 1:
		return &Error{Var: "ONIT_PASSWORD_ITERATIONS", Msg: "must be at least 1"}
	case s.Env == Production && s.Redis.RedisReadTimeout < time.Second:
		return &Error{Var: "ONIT_REDIS_READ_TIMEOUT", Msg: "must be at least 1s in production"}
	case s.Env == Production && s.Redis.RedisWriteTimeout < time.Second:
		return &Error{Var: "ONIT_REDIS_WRITE_TIMEOUT", Msg: "must be at least 1s in production"}
	case s.Env == Production && s.Redis.RedisDialTimeout < time.Second:
		return &Error{Var: "ONIT_REDIS_DIAL_TIMEOUT", Msg: "must be at least 1s in production"}
	}
	for _, v := range s.Password.Validators {
		switch v {
		case "similarity", "min_length", "common", "numeric":
		default:
			return &Error{Var: "ONIT_PASSWORD_VALIDATORS", Msg: fmt.Sprintf("unknown validator %q (want similarity, min_length, common, numeric)", v)}
		}
	}
	switch strings.ToLower(s.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		return &Error{Var: "ONIT_LOG_LEVEL", Msg: fmt.Sprintf("unknown level %q (want debug, info, warn or error)", s.Log.Level)}
	}
	switch s.Log.Format {
	case "json", "text":
	default:
		return &Error{Var: "ONIT_LOG_FORMAT", Msg: fmt.Sprintf("unknown format %q (want json or text)", s.Log.Format)}
	}
	for _, a := range s.Redis.Addrs {
		if !strings.Contains(a, ":") {
			return &Error{Var: "ONIT_REDIS_ADDRS", Msg: fmt.Sprintf("%q is not host:port", a)}
		}
	}
	return nil
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
