package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

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
