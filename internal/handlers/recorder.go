package handlers

import (
	"bytes"
	"net/http"
)

// Recorder wraps a ResponseWriter to learn the status and size of the
// answer and, when asked, keep a copy of its body. It is the one wrapper
// every middleware uses.
type Recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	keep   bool
	buf    bytes.Buffer
}

// NewRecorder wraps w; keepBody keeps a copy of what is written.
func NewRecorder(w http.ResponseWriter, keepBody bool) *Recorder {
	return &Recorder{ResponseWriter: w, keep: keepBody}
}

// WriteHeader implements http.ResponseWriter.
func (r *Recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.keep {
		r.buf.Write(b)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Status is the answer's status (0 before anything was written).
func (r *Recorder) Status() int { return r.status }

// Body is the kept copy of the body.
func (r *Recorder) Body() string { return r.buf.String() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
