package vercelapi

import (
	"bytes"
	"encoding/json"
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
