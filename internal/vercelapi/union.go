package vercelapi

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// decodeUnion strictly decodes a value Vercel accepts either as an array
// (into arr) or as an object (into obj); isObject says which it was.
func decodeUnion(data []byte, arr, obj any, shapeErr error) (isObject bool, err error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || (data[0] != '[' && data[0] != '{') {
		return false, shapeErr
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if data[0] == '[' {
		return false, dec.Decode(arr)
	}
	return true, dec.Decode(obj)
}

// checkUnion is the strict check of such a value: the array against
// arrType, the object against objType's fields.
func checkUnion(s *strictState, path string, val any, arrType, objType reflect.Type, shapeErr error) {
	switch val := val.(type) {
	case []any:
		s.check(path, val, arrType)
	case map[string]any:
		s.object(path, val, structFields(objType))
	default:
		s.add(path, shapeErr.Error())
	}
}
