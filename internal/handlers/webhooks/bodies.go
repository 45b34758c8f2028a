package webhooks

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
)

// The signature covers the whole body, so a body must be read before it
// can be refused. What bounds memory is how many are read at once.
const (
	// maxBodies is how many webhook bodies are held in memory at once;
	// with max_body_bytes (1 MB by default) it bounds the receiver's
	// memory at 32 MB, whatever is sent.
	maxBodies = 32
	// bodyWait is how long a request waits for its turn before 503.
	bodyWait = 2 * time.Second
	// firstBuffer is the first buffer's size for a body of unknown length;
	// it grows as the body needs.
	firstBuffer = 16 << 10
)

var (
	errBusy = apperr.New(apperr.Unavailable, "busy",
		"too many webhook deliveries are being read; retry later")
	errTooLarge = apperr.New(apperr.TooLarge, "body_too_large", "request body is too large")
	errUnread   = apperr.New(apperr.Invalid, "bad_request", "could not read request body")
)

// bodies hands out a fixed number of turns to read a request body. The
// buffers are reused while posts keep coming (a flood allocates little)
// and left to the garbage collector once they stop.
type bodies struct {
	turns   chan struct{}
	buffers sync.Pool // of *[]byte
	limit   int
	wait    time.Duration
}

func newBodies(n, limit int, wait time.Duration) *bodies {
	return &bodies{turns: make(chan struct{}, n), limit: limit, wait: wait}
}

// read waits up to b.wait for a turn and reads r's body. The body is valid
// until release, which the caller must call once it no longer uses it.
func (b *bodies) read(r *http.Request) (body []byte, release func(), err error) {
	if r.ContentLength > int64(b.limit) {
		return nil, nil, errTooLarge
	}
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case b.turns <- struct{}{}:
	case <-t.C:
		return nil, nil, errBusy
	case <-r.Context().Done():
		return nil, nil, errUnread
	}
	body, err = readLimited(b.buffer(int(r.ContentLength)), r.Body, b.limit)
	release = func() {
		body = body[:0]
		b.buffers.Put(&body)
		<-b.turns
	}
	if err != nil {
		release()
		return nil, nil, err
	}
	return body, release, nil
}

// buffer returns an empty buffer for a body of size bytes (-1: unknown).
func (b *bodies) buffer(size int) []byte {
	var buf []byte
	if p, ok := b.buffers.Get().(*[]byte); ok {
		buf = *p
	}
	// The announced size, and one byte more to see the end.
	if need := max(size+1, firstBuffer); cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	return buf[:0]
}

// readLimited appends r to buf, growing it as needed up to limit bytes.
func readLimited(buf []byte, r io.Reader, limit int) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return buf, errTooLarge
			}
			grow := min(max(cap(buf), firstBuffer), limit+1-len(buf))
			buf = slices.Grow(buf, grow)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			if len(buf) > limit {
				return buf, errTooLarge
			}
			return buf, nil
		case err != nil:
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return buf, errTooLarge
			}
			return buf, errUnread
		}
	}
}
