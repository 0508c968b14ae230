package httpapi

import (
	"testing"

	"github.com/onitapp/onit/domain"
)

// Keys match field names exactly; encoding/json alone would fold case and
// Unicode ("ROLE" → role, "ſtatus" → status). NUL is refused in any text.
func TestDecodeStrictExactKeysAndNUL(t *testing.T) {
	t.Parallel()
	type inner struct {
		Status string `json:"status"`
	}
	type dst struct {
		Role   string           `json:"role"`
		Name   optional[string] `json:"name"`
		Nested *inner           `json:"nested"`
		List   []inner          `json:"list"`
		Tags   map[string]any   `json:"tags"`
	}
	tests := []struct {
		name      string
		body      string
		kind      domain.Kind
		field     string
		code      string
		wantValue string
	}{
		{"exact keys pass", `{"role":"member","name":"a","nested":{"status":"x"},"list":[{"status":"y"}],"tags":{"ANY":1}}`, 0, "", "", "member"},
		{"other case is unknown", `{"role":"member","ROLE":"owner"}`, domain.KindBadRequest, "ROLE", "unknown_field", ""},
		{"capitalised is unknown", `{"Role":"owner"}`, domain.KindBadRequest, "Role", "unknown_field", ""},
		{"long s does not fold", `{"nested":{"ſtatus":"done"}}`, domain.KindBadRequest, "ſtatus", "unknown_field", ""},
		{"in an array element", `{"list":[{"STATUS":"done"}]}`, domain.KindBadRequest, "STATUS", "unknown_field", ""},
		{"in an optional field's object", `{"name":"x","NAME":"y"}`, domain.KindBadRequest, "NAME", "unknown_field", ""},
		{"NUL in a value", `{"role":"a\u0000b"}`, domain.KindInvalid, "role", "null_characters_not_allowed", ""},
		{"NUL in a nested value", `{"list":[{"status":"\u0000"}]}`, domain.KindInvalid, "status", "null_characters_not_allowed", ""},
		{"NUL in a map key", `{"tags":{"a\u0000":1}}`, domain.KindInvalid, "a\x00", "null_characters_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d dst
			err := decodeStrict([]byte(tt.body), &d)
			if tt.code == "" {
				if err != nil || d.Role != tt.wantValue {
					t.Fatalf("decode = %v, role %q", err, d.Role)
				}
				return
			}
			de, ok := domain.As(err)
			if !ok || de.Kind != tt.kind || len(de.Fields) != 1 || de.Fields[0].Field != tt.field || de.Fields[0].Code != tt.code {
				t.Fatalf("decode = %#v, want %s %s on %q", err, tt.kind, tt.code, tt.field)
			}
		})
	}
}
