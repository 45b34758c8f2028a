package eventpush_test

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/installations"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("push-secret-0123456789abcdef"))

// fast are timings that keep a test short: attempts end after 150ms.
func fast(url string) eventpush.Options {
	return eventpush.Options{URL: url, Secret: secret, Timeout: 150 * time.Millisecond, Workers: 4,
		PollInterval: 10 * time.Millisecond, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}
}

// pusher is one server process pushing from d.
type pusher struct {
	svc  *eventpush.Service
	stop func()
}

func startPusher(t *testing.T, d *db.DB, opts eventpush.Options) *pusher {
	t.Helper()
	svc, err := eventpush.New(eventpush.Deps{Feed: db.NewEvents(d), Store: db.NewPushes(d)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(ctx)
	}()
	p := &pusher{svc: svc, stop: func() { cancel(); <-done }}
	t.Cleanup(p.stop)
	return p
}

// appendEvents adds n events, spread over the installations in turn.
func appendEvents(t *testing.T, d *db.DB, n int, insts []string) {
	t.Helper()
	for i := range n {
		err := d.InTx(t.Context(), func(tx installations.Tx) error {
			return tx.AppendEvent(t.Context(), installations.NewEvent{Type: "test.event",
				InstallationID: insts[i%len(insts)], Data: map[string]int{"n": i}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds; the deadline only ends a stuck test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// flaky fails every third request, in turn a redirect, a 400, a 500 and
// a request left hanging until the server gives up.
func flaky(n int, _ string) failure {
	if n%3 != 0 {
		return ok
	}
	return []failure{redirect, clientErr, serverErr, hang}[(n/3)%4]
}

// 1,000 events go to a receiver that fails a third of the requests and is
// restarted once, while the pushing server restarts once too (on
// PostgreSQL two replicas push at once): every event arrives, each
// installation's in order, every signature verifies, and a duplicate only
// ever repeats a webhook-id with the same body.
func TestThousandEventsReachAFlakyReceiverInOrder(t *testing.T) {
	insts := []string{"icfg_a", "icfg_b", "icfg_c", "icfg_d", ""}
	run := func(t *testing.T, dbs []*db.DB) {
		rcv := newReceiver(t, secret, flaky)
		var ps []*pusher
		for _, d := range dbs {
			ps = append(ps, startPusher(t, d, fast(rcv.URL())))
		}
		appendEvents(t, dbs[0], 400, insts)
		waitFor(t, "a first share of the events", func() bool { return rcv.distinct() >= 150 })
		rcv.restart()
		appendEvents(t, dbs[len(dbs)-1], 300, insts)
		waitFor(t, "a second share of the events", func() bool { return rcv.distinct() >= 450 })
		ps[0].stop() // the server restarts: what it held is pushed after
		ps[0] = startPusher(t, dbs[0], fast(rcv.URL()))
		appendEvents(t, dbs[0], 300, insts)
		waitFor(t, "all 1,000 events", func() bool { return rcv.distinct() == 1000 })

		got, bad := rcv.received()
		if len(bad) > 0 {
			t.Fatalf("%d requests failed verification, first: %s", len(bad), bad[0])
		}
		checkOrder(t, got, insts)
		rcv.mu.Lock()
		requests := rcv.n
		rcv.mu.Unlock()
		t.Logf("%d events, %d pushes answered 2xx (%d duplicates) out of %d requests",
			rcv.distinct(), len(got), len(got)-rcv.distinct(), requests)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, []*db.DB{dbtest.SQLite(t)}) })
	t.Run("postgres replicas", func(t *testing.T) {
		dsn := dbtest.PostgresDSN(t)
		var dbs []*db.DB
		for range 2 {
			d, err := db.Open(t.Context(), "postgres", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			dbs = append(dbs, d)
		}
		run(t, dbs)
	})
}

// checkOrder: per installation, the events arrive in feed order; a repeat
// only ever repeats the latest one (it came again because its answer was
// not recorded), never an earlier one after a later.
func checkOrder(t *testing.T, got []receipt, insts []string) {
	t.Helper()
	last := map[string]int64{}
	per := map[string]int{}
	for _, r := range got {
		if r.eventID < last[r.installationID] {
			t.Fatalf("installation %q: event %d arrived after event %d", r.installationID, r.eventID, last[r.installationID])
		}
		if r.eventID > last[r.installationID] {
			per[r.installationID]++
		}
		last[r.installationID] = r.eventID
	}
	for _, in := range insts {
		if per[in] != 200 {
			t.Errorf("installation %q: %d distinct events, want 200", in, per[in])
		}
	}
}

// One installation's pushes keep failing; the others' arrive meanwhile.
func TestAFailingInstallationDoesNotHoldBackOthers(t *testing.T) {
	d := dbtest.SQLite(t)
	rcv := newReceiver(t, secret, func(_ int, inst string) failure {
		if inst == "icfg_stuck" {
			return hang
		}
		return ok
	})
	startPusher(t, d, fast(rcv.URL()))
	appendEvents(t, d, 100, []string{"icfg_stuck", "icfg_b", "icfg_c", "icfg_d"})
	waitFor(t, "the other installations' events", func() bool { return rcv.distinct() == 75 })
	got, bad := rcv.received()
	if len(bad) > 0 {
		t.Fatal(bad[0])
	}
	for _, r := range got {
		if r.installationID == "icfg_stuck" {
			t.Fatalf("a push of the failing installation was accepted: %+v", r)
		}
	}
	// Its first attempt may still be hanging: wait until one is recorded.
	var p installations.Push
	waitFor(t, "an attempt of the stuck push", func() bool {
		var err error
		p, err = db.NewPushes(d).GetPush(t.Context(), "push_1")
		return err == nil && p.Attempts > 0
	})
	if p.Status != installations.DeliveryPending {
		t.Fatalf("the stuck installation's first push = %+v; want pending after attempts", p)
	}
}

// A push that keeps failing past max age is dead and leaves its place to
// the next; an operator's retry sends it again, with the same webhook-id,
// once the receiver is back.
func TestDeadPushCanBeRetried(t *testing.T) {
	d := dbtest.SQLite(t)
	down := true
	rcv := newReceiver(t, secret, func(int, string) failure {
		if down {
			return serverErr
		}
		return ok
	})
	opts := fast(rcv.URL())
	opts.MaxAge = 30 * time.Millisecond
	p := startPusher(t, d, opts)
	appendEvents(t, d, 1, []string{"icfg_a"})
	store := db.NewPushes(d)
	waitFor(t, "the push to die", func() bool {
		got, err := store.GetPush(t.Context(), "push_1")
		return err == nil && got.Status == installations.DeliveryDead
	})
	rcv.mu.Lock()
	down = false
	rcv.mu.Unlock()
	if _, err := p.svc.Retry(t.Context(), "push_1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retried push", func() bool { return rcv.distinct() == 1 })
	got, _ := rcv.received()
	if got[0].webhookID != "1" {
		t.Errorf("webhook-id = %q, want the event's id 1", got[0].webhookID)
	}
	waitFor(t, "the push recorded delivered", func() bool {
		got, err := store.GetPush(t.Context(), "push_1")
		return err == nil && got.Status == installations.DeliveryDelivered
	})
	if _, err := p.svc.Retry(t.Context(), "push_1"); err == nil {
		t.Error("a delivered push was retried")
	}
}

// Every kind of failure is recorded with what the receiver did; a
// redirect is never followed.
func TestFailuresAreRecorded(t *testing.T) {
	cases := []struct {
		fail failure
		want string
	}{
		{redirect, "the receiver answered 302 (redirects are not followed)"},
		{clientErr, "the receiver answered 400"},
		{serverErr, "the receiver answered 500"},
		{hang, "the receiver did not answer within 150ms"},
	}
	for _, tc := range cases {
		t.Run(string(tc.fail), func(t *testing.T) {
			d := dbtest.SQLite(t)
			rcv := newReceiver(t, secret, func(int, string) failure { return tc.fail })
			startPusher(t, d, fast(rcv.URL()))
			appendEvents(t, d, 1, []string{"icfg_a"})
			store := db.NewPushes(d)
			var p installations.Push
			waitFor(t, "a failed attempt", func() bool {
				var err error
				p, err = store.GetPush(t.Context(), "push_1")
				return err == nil && p.Attempts > 0
			})
			if p.LastError != tc.want || p.Status != installations.DeliveryPending {
				t.Errorf("push = %s %q, want pending %q", p.Status, p.LastError, tc.want)
			}
			if _, bad := rcv.received(); len(bad) > 0 {
				t.Error(bad)
			}
		})
	}
}

// With no URL nothing is taken from the feed; an operator can still read
// pushes.
func TestPushOff(t *testing.T) {
	d := dbtest.SQLite(t)
	p := startPusher(t, d, eventpush.Options{})
	appendEvents(t, d, 3, []string{"icfg_a"})
	if p.svc.Enabled() {
		t.Fatal("enabled without a URL")
	}
	if _, err := p.svc.Get(t.Context(), "push_1"); err == nil {
		t.Error("an event was taken with the push off")
	}
	if _, err := eventpush.New(eventpush.Deps{}, eventpush.Options{URL: "http://x", Secret: "plain"}); err == nil {
		t.Error("a secret without whsec_ was accepted")
	}
}
