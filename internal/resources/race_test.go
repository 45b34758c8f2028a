package resources_test

import (
	"context"
	"testing"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/resources"
)

// updateWhileHookHolds runs a rename through the hook and, while the hook
// holds the update, runs meanwhile; it returns the rename's outcome.
func updateWhileHookHolds(t *testing.T, e *env, id string, meanwhile func()) (installations.Resource, error) {
	t.Helper()
	e.hook.hold, e.hook.held, e.hook.release = provisioning.TypeUpdate, make(chan struct{}), make(chan struct{})
	type result struct {
		r   installations.Resource
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := e.svc.Update(context.Background(), installations.KeyClaim{}, inst, id, resources.Patch{Name: ptr("renamed")})
		done <- result{r, err}
	}()
	<-e.hook.held
	meanwhile()
	close(e.hook.release)
	res := <-done
	return res.r, res.err
}

// A change Vercel asked for while the resource was being deleted never
// brings the resource back.
func TestAnUpdateNeverBringsBackADeletedResource(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, true, open)
			r := e.put(t, "res_gone", "free")
			_, err := updateWhileHookHolds(t, e, r.ID, func() {
				if err := e.db.InTx(t.Context(), func(tx installations.Tx) error {
					return tx.DeleteResource(t.Context(), inst, r.ID)
				}); err != nil {
					t.Fatal(err)
				}
			})
			if apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("update of a resource deleted meanwhile: %v, want NotFound", err)
			}
			if got, err := e.res.GetResource(t.Context(), inst, r.ID); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("the deleted resource came back: %+v, %v", got, err)
			}
		})
	}
}

// A change applies to the resource as it stands when it is kept: a
// suspension made while the hook answered is not undone by a rename.
func TestAnUpdateKeepsAChangeMadeMeanwhile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	r := e.put(t, "res_busy", "free")
	e.hook.answer = `{"secrets":[]}`
	got, err := updateWhileHookHolds(t, e, r.ID, func() {
		if err := e.db.InTx(t.Context(), func(tx installations.Tx) error {
			cur, err := tx.Resource(t.Context(), inst, r.ID)
			if err != nil {
				return err
			}
			cur.Status = "suspended"
			_, err = tx.UpdateResource(t.Context(), cur)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "renamed" || got.Status != "suspended" {
		t.Errorf("after the rename: name %q status %q, want renamed and still suspended", got.Name, got.Status)
	}
}
