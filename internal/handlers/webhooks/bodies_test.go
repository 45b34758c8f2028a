package webhooks

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestBodiesBeyondTheBoundWaitThenGet503: with every turn taken by a
// body still being sent, the next post waits, then gets 503 with
// Retry-After; a post announcing a body over the limit is 413 at once;
// once the slow body ends, posts are read again.
func TestBodiesBeyondTheBoundWaitThenGet503(t *testing.T) {
	h := &Handler{Deps: Deps{ClientSecret: "secret"}, bodies: newBodies(1, 1024, 50*time.Millisecond)}
	srv := httptest.NewServer(h.routes())
	defer srv.Close()

	slow, send := io.Pipe()
	first := make(chan int)
	go func() {
		status, _ := post(srv.URL, slow, -1)
		first <- status
	}()
	send.Write([]byte(`{"id":`))
	for len(h.bodies.turns) == 0 {
		time.Sleep(time.Millisecond)
	}

	status, retry := post(srv.URL, strings.NewReader(`{}`), 2)
	if status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("post while the turn is taken: %d (Retry-After %q), want 503 with Retry-After", status, retry)
	}
	if status, _ := post(srv.URL, bytes.NewReader(make([]byte, 2048)), 2048); status != http.StatusRequestEntityTooLarge {
		t.Errorf("post over the limit while the turn is taken: %d, want 413", status)
	}
	send.Close()
	if status := <-first; status != http.StatusUnauthorized {
		t.Errorf("slow unsigned post: %d, want 401", status)
	}
	if status, _ := post(srv.URL, strings.NewReader(`{}`), 2); status != http.StatusUnauthorized {
		t.Errorf("post after the turn is free: %d, want 401", status)
	}
}

// post sends an unsigned body of size bytes (-1: chunked) and returns the
// status and Retry-After.
func post(url string, body io.Reader, size int64) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, url+"/vercel", body)
	req.ContentLength = size
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

func TestReadLimited(t *testing.T) {
	const limit = 100
	tests := []struct {
		name    string
		size    int
		reader  func(io.Reader) io.Reader
		wantErr error
	}{
		{"empty", 0, nil, nil},
		{"at the limit", limit, nil, nil},
		{"at the limit, a byte per read", limit, iotest.OneByteReader, nil},
		{"at the limit, data with EOF", limit, iotest.DataErrReader, nil},
		{"one byte over", limit + 1, nil, errTooLarge},
		{"far over, a byte per read", 10 * limit, iotest.OneByteReader, errTooLarge},
		{"a read that fails", 10, func(r io.Reader) io.Reader { return iotest.TimeoutReader(iotest.OneByteReader(r)) }, errUnread},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Repeat([]byte("x"), tt.size)
			var r io.Reader = bytes.NewReader(data)
			if tt.reader != nil {
				r = tt.reader(r)
			}
			got, err := readLimited(make([]byte, 0, 8), r, limit)
			if err != tt.wantErr {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, data) {
				t.Errorf("read %d bytes, want %d", len(got), len(data))
			}
		})
	}
}
