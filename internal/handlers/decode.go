package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// ReadBody reads the (size-limited) request body.
func ReadBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, apperr.New(apperr.TooLarge, "body_too_large", "request body is too large")
		}
		return nil, apperr.New(apperr.Invalid, "bad_request", "could not read request body")
	}
	return data, nil
}

// CheckText refuses a JSON body that is not valid UTF-8 or has a NUL in
// a string: databases disagree on such text (PostgreSQL refuses it,
// SQLite keeps it), so neither gets it. The error names the key.
func CheckText(data []byte) error {
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return apperr.InvalidFields("request body is not valid UTF-8", apperr.Field{Key: "body", Message: "must be valid UTF-8"})
	}
	if !bytes.Contains(data, []byte(`\u0000`)) {
		return nil
	}
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil // the decoder reports malformed JSON
	}
	if key, ok := findNUL(v, ""); ok {
		return apperr.InvalidFields("a text value holds a NUL character", apperr.Field{Key: key, Message: "must not contain NUL characters"})
	}
	return nil
}

// findNUL returns the key path of the first string (or object key) in v
// that holds a NUL.
func findNUL(v any, path string) (string, bool) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case string:
		return orBody(path), strings.ContainsRune(x, 0)
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) {
				return orBody(path), true
			}
			if key, ok := findNUL(e, join(k)); ok {
				return key, true
			}
		}
	case []any:
		for i, e := range x {
			if key, ok := findNUL(e, path+"["+strconv.Itoa(i)+"]"); ok {
				return key, true
			}
		}
	}
	return "", false
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// ReadJSON reads the request body and decodes it with DecodeJSON.
func ReadJSON(r *http.Request, v any, allowEmpty bool) error {
	data, err := ReadBody(r)
	if err != nil {
		return err
	}
	return DecodeJSON(data, v, allowEmpty)
}

// DecodeJSON decodes a JSON object body into v, tolerating unknown keys
// (Vercel adds fields over time). An empty body decodes as {} when
// allowEmpty. Errors are 400s naming the bad key.
func DecodeJSON(data []byte, v any, allowEmpty bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		if allowEmpty {
			return nil
		}
		return apperr.InvalidFields("request body is required", apperr.Field{Key: "body", Message: "required"})
	}
	if err := CheckText(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apperr.InvalidFields("request body has trailing data", apperr.Field{Key: "body", Message: "trailing data"})
	}
	return nil
}

func decodeError(err error) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		key := te.Field
		if key == "" {
			key = "body"
		}
		return apperr.InvalidFields("invalid value for "+key,
			apperr.Field{Key: key, Message: "must be " + jsonKind(te.Type.Kind().String())})
	}
	return apperr.InvalidFields("request body is not valid JSON", apperr.Field{Key: "body", Message: "malformed JSON"})
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "a boolean"
	case goKind == "slice" || goKind == "array":
		return "an array"
	case goKind == "map" || goKind == "struct" || goKind == "ptr":
		return "an object"
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "float"), strings.HasPrefix(goKind, "uint"):
		return "a number"
	default:
		return "of another type"
	}
}
