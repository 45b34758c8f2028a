package resources_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
)

var errCrash = errors.New("the process died before the commit")

// crashingKey is a claimed key whose first keep fails as a crash before
// the commit would (the transaction is undone); later keeps succeed and
// record the outcome, as a retry that took the claim over would.
type crashingKey struct {
	crashes  int
	outcomes []any
}

func (c *crashingKey) claim(key, ref string) installations.KeyClaim {
	return installations.NewKeyClaim("v1:"+inst+" "+key, key, ref, func(_ context.Context, _ installations.Tx, outcome any) error {
		if c.crashes > 0 {
			c.crashes--
			return errCrash
		}
		c.outcomes = append(c.outcomes, outcome)
		return nil
	})
}

// TestProvisionRetriedUnderAKeyMakesOneResource: a provision cut short
// before its commit and retried under the same key names the same
// resource, asks the hook as the same operation (one webhook-id, with the
// key), and leaves one row and, in feed mode, one request on the feed.
func TestProvisionRetriedUnderAKeyMakesOneResource(t *testing.T) {
	t.Parallel()
	for name, open := range drivers {
		for _, withHook := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "/feed", true: "/hook"}[withHook], func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, withHook, open)
				key := &crashingKey{crashes: 1}
				req := resources.Provision{ProductID: "postgres", Name: "main", BillingPlanID: "pro"}
				if _, err := e.svc.Provision(t.Context(), key.claim("vercel-key-1", "REF1"), inst, req); !errors.Is(err, errCrash) {
					t.Fatalf("first try: %v, want the crash", err)
				}
				out, err := e.svc.Provision(t.Context(), key.claim("vercel-key-1", "REF1"), inst, req)
				if err != nil || out.Resource.ID != "res_REF1" {
					t.Fatalf("retry: %+v %v, want resource res_REF1", out, err)
				}
				if len(key.outcomes) != 1 || key.outcomes[0].(resources.Provisioned).Resource.ID != "res_REF1" {
					t.Errorf("kept answers %+v, want the retry's", key.outcomes)
				}
				if list, _ := e.res.ListResources(t.Context(), inst); len(list) != 1 {
					t.Errorf("%d resources, want 1", len(list))
				}
				if withHook {
					e.hook.mu.Lock()
					ids, reqs := slices.Clone(e.hook.ids), slices.Clone(e.hook.requests)
					e.hook.mu.Unlock()
					if len(reqs) != 2 || ids[0] != "msg_REF1" || ids[1] != ids[0] || reqs[0].IdempotencyKey != "vercel-key-1" ||
						reqs[1].IdempotencyKey != "vercel-key-1" || reqs[0].Type != provisioning.TypeProvision {
						t.Errorf("hook calls %+v with webhook-ids %q: want one operation asked twice", reqs, ids)
					}
					return
				}
				if evs := e.feed(t, installations.EventResourceProvisionRequested); len(evs) != 1 || evs[0].Subject != "res_REF1" {
					t.Errorf("feed %+v, want one provision request", evs)
				}
			})
		}
	}
}

// TestProvisionUnderAKeyFindsItsResource: in feed mode, a retry that finds
// the key's resource already there answers it and puts nothing more on
// the feed.
func TestProvisionUnderAKeyFindsItsResource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	key := &crashingKey{}
	req := resources.Provision{ProductID: "postgres", Name: "main", BillingPlanID: "pro"}
	first, err := e.svc.Provision(t.Context(), key.claim("k", "REF2"), inst, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.Provision(t.Context(), key.claim("k", "REF2"), inst, req)
	if err != nil || again.Resource.ID != first.Resource.ID || len(again.Secrets) != 0 {
		t.Fatalf("again: %+v %v", again, err)
	}
	if evs := e.feed(t, installations.EventResourceProvisionRequested); len(evs) != 1 {
		t.Errorf("%d provision requests on the feed, want 1", len(evs))
	}
}

// TestKeyedWritesKeepTheirAnswerWithTheirEffect: update, delete and
// rotate commit their answer with their effect, so a crash before the
// commit leaves nothing and a retry does the work once; the hook hears
// each key's operation under one webhook-id.
func TestKeyedWritesKeepTheirAnswerWithTheirEffect(t *testing.T) {
	t.Parallel()
	for _, withHook := range []bool{false, true} {
		t.Run(map[bool]string{false: "feed", true: "hook"}[withHook], func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withHook)
			r := e.put(t, "res_keyed", "pro")
			writes := []struct {
				name  string
				event string // what a feed-mode write puts on the feed
				run   func(key installations.KeyClaim) error
			}{
				{"update", installations.EventResourceUpdateRequested, func(key installations.KeyClaim) error {
					_, err := e.svc.Update(t.Context(), key, inst, r.ID, resources.Patch{Name: new("renamed")})
					return err
				}},
				{"rotate", installations.EventResourceSecretsRotationAsked, func(key installations.KeyClaim) error {
					_, err := e.svc.Rotate(t.Context(), key, inst, r.ID, "leaked", nil)
					return err
				}},
				{"delete", installations.EventResourceDeleted, func(key installations.KeyClaim) error {
					return e.svc.Delete(t.Context(), key, inst, r.ID)
				}},
			}
			for i, w := range writes {
				key := &crashingKey{crashes: 1}
				claim := key.claim("k-"+w.name, "REF"+w.name)
				if err := w.run(claim); !errors.Is(err, errCrash) {
					t.Fatalf("%s: %v, want the crash", w.name, err)
				}
				if err := w.run(claim); err != nil || len(key.outcomes) != 1 {
					t.Fatalf("%s retried: %v, kept %d answers", w.name, err, len(key.outcomes))
				}
				if n := len(e.feed(t, w.event)); !withHook && n != 1 {
					t.Errorf("%s: %d %s events, want 1", w.name, n, w.event)
				}
				if !withHook {
					continue
				}
				e.hook.mu.Lock()
				ids := e.hook.ids[2*i:]
				e.hook.mu.Unlock()
				if len(ids) != 2 || ids[0] != "msg_REF"+w.name || ids[1] != ids[0] {
					t.Errorf("%s: webhook-ids %q, want msg_REF%s twice", w.name, ids, w.name)
				}
			}
			if _, err := e.res.GetResource(t.Context(), inst, r.ID); err == nil {
				t.Error("the resource outlived its deletion")
			}
		})
	}
}
