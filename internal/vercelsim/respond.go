package vercelsim

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
)

// apiError is Vercel's error body: {"error":{"code","message"}}.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, "bad_request", msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeEmpty answers a write that Vercel acknowledges without a body.
func writeEmpty(w http.ResponseWriter, status int) { w.WriteHeader(status) }

// mustRead returns the request body, which the recording wrapper has
// already buffered.
func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// newID returns prefix plus random characters, like Vercel's opaque IDs.
func newID(prefix string) string { return prefix + rand.Text()[:16] }
