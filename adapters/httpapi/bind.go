package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"github.com/onitapp/onit/domain"
)

// bodyLimit is the contract's maximum request body (1 MiB); larger gets 413.
const bodyLimit = 1 << 20

var (
	errTooLarge         = domain.E(domain.KindBadRequest, "error.body_too_large").With(map[string]any{"limit": bodyLimit})
	errUnsupportedMedia = domain.E(domain.KindBadRequest, "error.unsupported_media_type")
	errMalformed        = domain.E(domain.KindBadRequest, "error.malformed_json")
)

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

// validatorInstance returns the shared validator, which reports fields by
// their JSON (or query) names so errors[] matches what the client sent.
func validatorInstance() *validator.Validate {
	validateOnce.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		validate.RegisterTagNameFunc(func(f reflect.StructField) string {
			for _, tag := range []string{"json", "query", "param"} {
				if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
					return name
				}
			}
			return f.Name
		})
	})
	return validate
}

// bind decodes the JSON request body strictly into dst and validates it.
// Syntax problems (malformed JSON, invalid UTF-8, duplicate or unknown keys,
// wrong types) are 400; rule violations from `validate` tags are 422. All
// field errors are reported at once where the decoder allows.
func bind(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errUnsupportedMedia
		}
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, bodyLimit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return errMalformed.Wrap(err)
	}
	if len(body) > bodyLimit {
		return errTooLarge
	}
	if err := decodeStrict(body, dst); err != nil {
		return err
	}
	return validateStruct(dst)
}

// decodeStrict is bind without the HTTP parts, so it can be fuzzed.
func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errMalformed
	}
	if !utf8.Valid(body) {
		return domain.E(domain.KindBadRequest, "validation.utf8")
	}
	if err := scanBody(body, reflect.TypeOf(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errMalformed
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errMalformed.Wrap(err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errMalformed.Wrap(err)
		}
		return badField(field, "wrong_type", "error.wrong_type", map[string]any{"type": jsonType(typ.Type)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields only as text; this is the one
		// place that reads it.
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badField(field, "unknown_field", "error.unknown_field", nil)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de // a custom UnmarshalJSON reported a coded error (e.g. a bad date)
	}
	return errMalformed.Wrap(err)
}

func badField(field, code, key string, params map[string]any) error {
	e := domain.Invalid(domain.FieldError{Field: field, Code: code, Key: key, Params: params})
	e.Kind = domain.KindBadRequest
	e.Key = "error.malformed_json"
	if code == "unknown_field" || code == "duplicate_field" || code == "wrong_type" {
		e.Key = "error.invalid"
	}
	return e
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "object"
}

// validateStruct runs the validator's struct tags and turns failures into a
// 422 with one errors[] entry per broken rule.
func validateStruct(v any) error {
	err := validatorInstance().Struct(v)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return domain.Internal(fmt.Errorf("validate %T: %w", v, err))
	}
	fields := make([]domain.FieldError, 0, len(ves))
	for _, fe := range ves {
		fields = append(fields, domain.FieldError{
			Field:  fieldPath(fe),
			Code:   fe.Tag(),
			Key:    validationKey(fe),
			Params: map[string]any{"param": strings.ReplaceAll(fe.Param(), " ", ", ")},
		})
	}
	return domain.Invalid(fields...)
}

// fieldPath drops the top-level struct name from the validator's namespace.
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return fe.Field()
}

func validationKey(fe validator.FieldError) string {
	tag := fe.Tag()
	switch tag {
	case "min", "max":
		switch fe.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			return "validation." + tag + "_number"
		}
		return "validation." + tag
	case "required", "email", "gte", "lte", "oneof", "len", "datetime", "notblank", "number", "boolean":
		return "validation." + tag
	case "required_without", "required_with", "required_if":
		return "validation.required"
	}
	return "validation.invalid"
}
