package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/onitapp/onit/domain"
)

// scanBody walks the body's tokens once, before encoding/json decodes it,
// for what encoding/json lets through:
//
//   - a key twice in one object (encoding/json keeps the last, so a value
//     could be smuggled past a proxy that reads the first): 400
//     duplicate_field;
//   - a key that is not exactly a field's name: encoding/json matches
//     names case-insensitively, with Unicode folding ("ROLE" sets role,
//     "ſtatus" sets status), so every other spelling is an unknown field
//     (400 unknown_field);
//   - a NUL character in any string (Django's
//     ProhibitNullCharactersValidator): 422 null_characters_not_allowed.
//
// Syntax errors are left to the real decode, which reports them.
func scanBody(body []byte, dst reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]struct{}
		expect bool         // next string token is a key
		fields fieldTypes   // exact field names of the object's type; nil: not checked
		key    string       // the current key (object) or the field the array belongs to
		elem   reflect.Type // element type of an array; nil: not checked
	}
	var stack []*frame
	// field is the name errors are reported under: the innermost key.
	field := func() string {
		for i := len(stack) - 1; i >= 0; i-- {
			if stack[i].key != "" {
				return stack[i].key
			}
		}
		return ""
	}
	// valueType is the Go type of the value that starts now.
	valueType := func() reflect.Type {
		if len(stack) == 0 {
			return dst
		}
		top := stack[len(stack)-1]
		if top.object {
			if top.fields == nil {
				return nil
			}
			return top.fields[top.key]
		}
		return top.elem
	}
	for {
		tok, ok := nextToken(dec)
		if !ok {
			break // a syntax error: the real decode reports it
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, keys: map[string]struct{}{}, expect: true, fields: fieldsOf(valueType())})
				continue
			case '[':
				parent := ""
				if top != nil {
					parent = top.key
				}
				stack = append(stack, &frame{key: parent, elem: elemOf(valueType())})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.expect {
				if _, seen := top.keys[v]; seen {
					return badField(v, "duplicate_field", "error.duplicate_field", nil)
				}
				if top.fields != nil {
					if _, ok := top.fields[v]; !ok {
						return badField(v, "unknown_field", "error.unknown_field", nil)
					}
				}
				if strings.IndexByte(v, 0) >= 0 {
					return nulField(v)
				}
				top.keys[v] = struct{}{}
				top.key = v
				top.expect = false
				continue
			}
			if strings.IndexByte(v, 0) >= 0 {
				return nulField(field())
			}
		}
		// a value finished: the parent object now expects a key again
		if len(stack) > 0 {
			if p := stack[len(stack)-1]; p.object {
				p.expect = true
			}
		}
		if len(stack) == 0 && !dec.More() {
			break
		}
	}
	return nil
}

// nextToken is dec.Token without the error, which scanBody leaves to the
// real decode to report.
func nextToken(dec *json.Decoder) (json.Token, bool) {
	tok, err := dec.Token()
	return tok, err == nil
}

// nulField is the refusal of a NUL character in a text input.
func nulField(field string) error {
	return domain.Invalid(domain.FieldError{Field: field, Code: "null_characters_not_allowed", Key: "validation.null_characters"})
}

// fieldTypes maps a struct's exact JSON field names to their types.
type fieldTypes map[string]reflect.Type

var (
	fieldCache      sync.Map // reflect.Type → fieldTypes
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// deref strips pointers and looks through optional[T] (a json.Unmarshaler
// wrapping a Value field) to the type whose shape the JSON has.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(unmarshalerType) {
		if f, ok := t.FieldByName("Value"); ok {
			return deref(f.Type)
		}
		return nil // its own decoding decides
	}
	return t
}

// fieldsOf returns the exact field names of t when it is a struct, else
// nil (maps and interfaces take any key).
func fieldsOf(t reflect.Type) fieldTypes {
	t = deref(t)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if f, ok := fieldCache.Load(t); ok {
		return f.(fieldTypes)
	}
	fields := fieldTypes{}
	addFields(t, fields)
	fieldCache.Store(t, fields)
	return fields
}

// addFields collects t's JSON names as encoding/json does: the tag's name,
// else the Go name; "-" skipped; embedded structs without a tag promoted.
func addFields(t reflect.Type, into fieldTypes) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if et := deref(f.Type); et != nil && et.Kind() == reflect.Struct {
				addFields(et, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

// elemOf is the element type of a slice or array type, else nil.
func elemOf(t reflect.Type) reflect.Type {
	t = deref(t)
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}
