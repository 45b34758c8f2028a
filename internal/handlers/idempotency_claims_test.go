package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// TestIdempotencyClaimOutlivesItsRequest: a request under a key runs until
// its Bound at most, and its claim is held longer; a retry arriving after
// the deadline, while the first request still finishes, waits for its
// answer instead of running the handler a second time.
func TestIdempotencyClaimOutlivesItsRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newIdemServer(t, d, &Idempotency{Bound: 100 * time.Millisecond, Wait: 5 * time.Second})
		firstEnded := make(chan error, 1)
		s.answer = func(run int32, _ string) (int, string) { return http.StatusOK, fmt.Sprintf(`{"run":%d}`, run) }
		s.hold = func(r *http.Request, run int32) {
			if run == 1 {
				<-r.Context().Done()               // the request's deadline
				time.Sleep(300 * time.Millisecond) // still finishing when the retry comes
				firstEnded <- r.Context().Err()
			}
		}
		var wg sync.WaitGroup
		var first answer
		wg.Go(func() { first = s.send(t, "PUT", "/things/a", "slow", `{}`) })
		time.Sleep(200 * time.Millisecond) // past the first request's deadline
		retry := s.send(t, "PUT", "/things/a", "slow", `{}`)
		wg.Wait()
		if err := <-firstEnded; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the first request's context ended with %v, want its deadline", err)
		}
		if n := s.runs.Load(); n != 1 {
			t.Fatalf("handler ran %d times, want once", n)
		}
		if first.status != 200 || retry.status != 200 || retry.body != first.body || retry.replayed != "true" {
			t.Errorf("first %+v, retry %+v: want the first answer replayed", first, retry)
		}
	})
}

// TestIdempotencyRetryKeepsTheRef: every request that runs under a key,
// after a 5xx or after taking an abandoned claim over, sees the Ref of the
// first claim, so it names what it creates as the first did; another
// request under a released key is refused, since the Ref is spent.
func TestIdempotencyRetryKeepsTheRef(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newIdemServer(t, d, &Idempotency{})
		s.answer = func(run int32, _ string) (int, string) {
			if run == 1 {
				return http.StatusServiceUnavailable, `{"error":{"code":"unavailable"}}`
			}
			return http.StatusOK, `{}`
		}
		s.send(t, "PUT", "/things/a", "k", `{"n":1}`)
		s.send(t, "PUT", "/things/a", "k", `{"n":1}`)
		if got := s.send(t, "PUT", "/things/a", "k", `{"n":2}`); got.status != 409 || !strings.Contains(got.body, "idempotency_key_reused") {
			t.Errorf("another request under the key: %+v, want 409 idempotency_key_reused", got)
		}
		// An abandoned claim (its deadline long past) is taken over with its Ref.
		hash := requestHash(httptest.NewRequest("PUT", "/things/a", nil), []byte(`{"n":1}`))
		old, err := s.store.ClaimKey(t.Context(), "test:a", "dead", hash, time.Now().Add(-time.Hour), time.Minute)
		if err != nil || !old.Owned || old.Ref == "" {
			t.Fatalf("claim: %+v %v", old, err)
		}
		s.send(t, "PUT", "/things/a", "dead", `{"n":1}`)
		refs := s.seenRefs()
		if len(refs) != 3 || refs[0] == "" || refs[1] != refs[0] || refs[2] != old.Ref {
			t.Errorf("refs %q: want the first twice, then the abandoned claim's %q", refs, old.Ref)
		}
	})
}

// TestKeptAnswerCommitsWithItsEffect: a use case keeps the answer in the
// transaction of its effect; a repeat replays it and runs nothing. A
// request whose claim was taken over cannot commit: its effect is undone
// with its answer.
func TestKeptAnswerCommitsWithItsEffect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		events := db.NewEvents(d)
		effect := func(ctx context.Context, key installations.KeyClaim, n int32) error {
			return d.InTx(ctx, func(tx installations.Tx) error {
				if err := tx.AppendEvent(ctx, installations.NewEvent{Type: "test.effect", InstallationID: "icfg_1",
					Subject: key.Ref, Data: map[string]int32{"run": n}}); err != nil {
					return err
				}
				return key.Keep(ctx, tx, n)
			})
		}
		s := newIdemServer(t, d, &Idempotency{})
		s.keyed = func(r *http.Request, n int32) (int, string) {
			render := func(n int32) Answer { return Answer{Status: http.StatusCreated, Body: map[string]int32{"run": n}} }
			if err := effect(r.Context(), Keyed(r, render), n); err != nil {
				return http.StatusInternalServerError, err.Error()
			}
			return http.StatusCreated, fmt.Sprintf("{\"run\":%d}\n", n)
		}
		first := s.send(t, "PUT", "/things/a", "k", `{}`)
		again := s.send(t, "PUT", "/things/a", "k", `{}`)
		if first.status != 201 || again.status != 201 || again.body != first.body || again.replayed != "true" || s.runs.Load() != 1 {
			t.Errorf("first %+v, again %+v after %d runs: want the kept answer replayed", first, again, s.runs.Load())
		}

		// A claim taken over: the first owner's effect does not commit.
		keep := func(owner string) installations.KeyClaim {
			return installations.NewKeyClaim("test:b fenced", "fenced", "ref", func(ctx context.Context, tx installations.Tx, outcome any) error {
				return s.store.KeepAnswer(ctx, tx, "test:b", "fenced", owner, installations.IdempotentResponse{Status: 200, Body: fmt.Sprint(outcome)})
			})
		}
		a, err := s.store.ClaimKey(t.Context(), "test:b", "fenced", "h", time.Now().Add(-time.Hour), time.Minute)
		if err != nil || !a.Owned {
			t.Fatal(a, err)
		}
		b, err := s.store.ClaimKey(t.Context(), "test:b", "fenced", "h", time.Now(), time.Minute)
		if err != nil || !b.Owned || b.Ref != a.Ref || b.Owner == a.Owner {
			t.Fatalf("takeover %+v %v", b, err)
		}
		if err := effect(t.Context(), keep(a.Owner), 100); !errors.Is(err, installations.ErrClaimLost) {
			t.Errorf("the first owner's effect: %v, want ErrClaimLost", err)
		}
		if err := effect(t.Context(), keep(b.Owner), 200); err != nil {
			t.Errorf("the owner's effect: %v", err)
		}
		if err := effect(t.Context(), keep(b.Owner), 300); !errors.Is(err, installations.ErrClaimLost) {
			t.Errorf("a second effect under an answered claim: %v, want ErrClaimLost", err)
		}
		evs, err := events.EventsAfter(t.Context(), 0, 100)
		var runs []string
		for _, ev := range evs {
			runs = append(runs, string(ev.Data))
		}
		if err != nil || strings.Join(runs, " ") != `{"run":1} {"run":200}` {
			t.Errorf("effects committed: %v %v, want the first request's and the owner's", runs, err)
		}
		if c, _ := s.store.ClaimKey(t.Context(), "test:b", "fenced", "h", time.Now(), time.Minute); !c.Done || c.Response.Body != "200" {
			t.Errorf("kept answer %+v, want the owner's", c)
		}
	})
}
