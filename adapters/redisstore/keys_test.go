package redisstore_test

import (
	"strings"
	"testing"

	"github.com/onitapp/onit/adapters/redisstore"
)

func TestKeys(t *testing.T) {
	t.Parallel()
	def, custom := redisstore.Keys{}, redisstore.Keys{Prefix: "staging:"}
	tests := []struct {
		name string
		got  string
		want string // a full key, or a prefix when wantPrefix
		pre  bool
	}{
		{"default prefix", def.Plain("x"), "onit:x", false},
		{"custom prefix", custom.Plain("x"), "staging:x", false},
		{"tagged", def.Tagged("kind", "tag"), "onit:kind:{tag}", false},
		{"account", def.Throttle("login_account", "bob@example.com"), "onit:thr:login_account:{", true},
		{"client", custom.Throttle("login_client", "2001:db8::1"), "staging:thr:login_client:{", true},
		{"revocation channel", def.RevocationChannel(), "onit:revocations", false},
		{"revocation channel, custom prefix", custom.RevocationChannel(), "staging:revocations", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.pre && !strings.HasPrefix(tt.got, tt.want) || !tt.pre && tt.got != tt.want {
				t.Errorf("got %q, want %q (prefix only: %v)", tt.got, tt.want, tt.pre)
			}
		})
	}
}

func TestThrottleKeysAreDigests(t *testing.T) {
	t.Parallel()
	k := redisstore.Keys{}
	account := func(id string) string { return k.Throttle("login_account", id) }
	client := func(id string) string { return k.Throttle("login_client", id) }
	long := strings.Repeat("a", 10000) + "@example.com"
	tests := []struct {
		name, a, b string
		key        func(string) string
	}{
		{"accounts", "bob@example.com", "alice@example.com", account},
		{"clients", "192.0.2.1", "192.0.2.2", client},
		{"braces", "{evil}@example.com", "}{@example.com", account},
		{"long", long, long + "x", account},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ka, kb := tt.key(tt.a), tt.key(tt.b)
			if ka == kb {
				t.Errorf("%q and %q share key %q", tt.a, tt.b, ka)
			}
			if ka != tt.key(tt.a) {
				t.Errorf("key of %q is not stable", tt.a)
			}
			for _, key := range []string{ka, kb} {
				if len(key) > 64 || strings.Count(key, "{") != 1 || strings.Count(key, "}") != 1 || !strings.HasSuffix(key, "}") {
					t.Errorf("key %q: want short, one well-formed hash tag", key)
				}
				if strings.Contains(key, "@") || strings.Contains(key, "192.0.2") {
					t.Errorf("key %q leaks its input", key)
				}
			}
		})
	}
}

func TestKeysValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix  string
		wantErr bool
	}{
		{"", false},
		{"onit:", false},
		{"onit:{x}:", true},
		{"a}", true},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			t.Parallel()
			if err := (redisstore.Keys{Prefix: tt.prefix}).Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
