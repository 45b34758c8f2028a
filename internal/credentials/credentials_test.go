package credentials_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/credentials"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vault"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const (
	inst  = "icfg_credentials000000000001"
	first = "vsim_first_token"
)

type env struct {
	sim    *vercelsim.Sim
	insts  *db.Installations
	store  *db.Credentials
	events *db.Events
	caller *vercelcall.Caller
	svc    *credentials.Service
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	v, _ := vault.New(make([]byte, 32))
	e := &env{sim: sim, insts: db.NewInstallations(d, v), store: db.NewCredentials(d, v), events: db.NewEvents(d)}
	if _, err := e.insts.Upsert(t.Context(), installations.Upsert{ID: inst, Credentials: installations.Credentials{AccessToken: first, TokenType: "Bearer"}}); err != nil {
		t.Fatal(err)
	}
	sim.RegisterInstallation(inst, first)
	client, _ := vercelapi.NewClient(sim.URL())
	e.caller = vercelcall.New(client, e.insts, 5*time.Second)
	e.svc = e.service()
	return e
}

// service is a credentials service as one process has it.
func (e *env) service() *credentials.Service {
	return credentials.New(credentials.Deps{Store: e.store, Installations: e.insts, Vercel: e.caller,
		ClientID: e.sim.ClientID(), ClientSecret: e.sim.ClientSecret(), Grace: 20 * time.Millisecond, Lease: time.Minute})
}

func (e *env) token(t *testing.T) string {
	t.Helper()
	tok, err := e.insts.Token(t.Context(), inst)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// works calls Vercel with the installation's token in use.
func (e *env) works(t *testing.T) {
	t.Helper()
	if _, err := e.caller.For(inst).GetAccountInfo(t.Context()); err != nil {
		t.Errorf("a call with the token in use: %v", err)
	}
}

func (e *env) rotatedEvents(t *testing.T) []installations.Event {
	t.Helper()
	evs, _ := e.events.EventsAfter(t.Context(), 0, 100)
	var out []installations.Event
	for _, ev := range evs {
		if ev.Type == installations.EventCredentialRotated {
			out = append(out, ev)
		}
	}
	return out
}

// TestRotationReplacesAndRevokesTheToken: the new token is in use, the
// old one revoked at Vercel, the feed says so, and no call ever went out
// with a revoked token.
func TestRotationReplacesAndRevokesTheToken(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		res, err := e.svc.Rotate(t.Context(), inst)
		if err != nil || !res.Revoked || res.RotatedAt.IsZero() {
			t.Fatalf("rotate: %+v %v", res, err)
		}
		next := e.token(t)
		st, _ := e.sim.Installation(inst)
		if next == first || st.AccessToken != next || !e.sim.TokenRevoked(inst, first) || len(st.OldTokens) != 0 {
			t.Errorf("after the rotation: ours %q, Vercel's %+v", next, st)
		}
		e.works(t)
		if evs := e.rotatedEvents(t); len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"revoked":true`) ||
			strings.Contains(string(evs[0].Data), next) {
			t.Errorf("feed %+v", evs)
		}
		if _, err := e.store.Rotation(t.Context(), inst); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("a rotation is left in progress: %v", err)
		}
		if _, err := e.svc.Rotate(t.Context(), inst); err != nil {
			t.Errorf("a second rotation after the first ended: %v", err)
		}
		if st, _ := e.sim.Installation(inst); st.RevokedUses != 0 || len(st.RevokedTokens) != 2 {
			t.Errorf("Vercel saw %d calls with a revoked token, revoked %d", st.RevokedUses, len(st.RevokedTokens))
		}
	})
}

// TestRefusedRotationChangesNothing: Vercel refusing the current token
// (401) or a rotation (409) leaves the token in use, no rotation
// behind, and an answer that says why.
func TestRefusedRotationChangesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		kind   apperr.Kind
		says   string
	}{
		{401, apperr.Upstream, "refused the installation's current token"},
		{409, apperr.Conflict, "a rotation is already under way at Vercel"},
		{503, apperr.Unavailable, "nothing changed"},
	} {
		t.Run(statusName(tc.status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, dbtest.SQLite(t))
			e.sim.Enqueue(vercelsim.RouteRotateCredential, vercelsim.Fault{Status: tc.status})
			_, err := e.svc.Rotate(t.Context(), inst)
			if apperr.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%v, want kind %v saying %q", err, tc.kind, tc.says)
			}
			if e.token(t) != first {
				t.Error("the token in use changed")
			}
			if _, err := e.store.Rotation(t.Context(), inst); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("a refused rotation is left in progress: %v", err)
			}
			if len(e.rotatedEvents(t)) != 0 {
				t.Error("a refused rotation is on the feed")
			}
			if _, err := e.svc.Rotate(t.Context(), inst); err != nil {
				t.Errorf("a rotation after a refused one: %v", err)
			}
		})
	}
}

func statusName(status int) string {
	return map[int]string{401: "401 current token", 409: "409 conflict", 503: "503 unavailable"}[status]
}

// TestSecondRotationWhileOneRunsIsAConflict: while Vercel takes its time
// over a rotation, another of the same installation is refused.
func TestSecondRotationWhileOneRunsIsAConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.sim.Enqueue(vercelsim.RouteRotateCredential, vercelsim.Fault{Delay: 500 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := e.svc.Rotate(context.Background(), inst); done <- err }()
	for deadline := time.Now().Add(5 * time.Second); e.sim.PendingFaults(vercelsim.RouteRotateCredential) != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first rotation never reached Vercel")
		}
	}
	if _, err := e.service().Rotate(t.Context(), inst); apperr.KindOf(err) != apperr.Conflict {
		t.Errorf("a second rotation while one runs: %v, want 409", err)
	}
	if err := <-done; err != nil {
		t.Errorf("the first rotation: %v", err)
	}
}

// TestRotationResumesAfterACrash: a process that died after storing the
// new token (before revoking the old one) or after calling Vercel
// (before storing what it answered) is carried on by the next run; the
// installation keeps a working token throughout.
func TestRotationResumesAfterACrash(t *testing.T) {
	t.Parallel()
	t.Run("between rotate and revoke", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, dbtest.SQLite(t))
		ctx := t.Context()
		now := time.Now()
		if _, err := e.store.BeginRotation(ctx, inst, "dead", now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		cred, err := e.caller.For(inst).RotateCredential(ctx, &vercelapi.CredentialRotation{ClientSecret: e.sim.ClientSecret()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.StoreRotatedToken(ctx, inst, "dead", cred.AccessToken, now); err != nil {
			t.Fatal(err)
		}
		// The process dies here; the token in use is the new one.
		e.works(t)
		if _, err := e.svc.Rotate(ctx, inst); apperr.KindOf(err) != apperr.Conflict {
			t.Errorf("a rotation before the old token is revoked: %v, want 409", err)
		}
		got, err := e.service().Resume(ctx)
		if err != nil || len(got) != 1 || !got[0].Revoked {
			t.Fatalf("resume: %+v %v", got, err)
		}
		if !e.sim.TokenRevoked(inst, first) || e.token(t) != cred.AccessToken {
			t.Error("after the resume the old token is not revoked or the new one not in use")
		}
		e.works(t)
	})
	t.Run("after rotate, before the new token was stored", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, dbtest.SQLite(t))
		ctx := t.Context()
		past := time.Now().Add(-2 * time.Minute)
		if _, err := e.store.BeginRotation(ctx, inst, "dead", past, past.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		lost, err := e.caller.For(inst).RotateCredential(ctx, &vercelapi.CredentialRotation{ClientSecret: e.sim.ClientSecret()})
		if err != nil {
			t.Fatal(err)
		}
		// Vercel's answer died with the process; its lease is over. The
		// old token still works; the simulator wants the lost one gone
		// before another rotation, as Vercel may.
		e.works(t)
		revoke(t, e, lost.AccessToken)
		got, err := e.service().Resume(ctx)
		if err != nil || len(got) != 1 || !got[0].Revoked {
			t.Fatalf("resume: %+v %v", got, err)
		}
		if tok := e.token(t); tok == first || tok == lost.AccessToken || !e.sim.TokenRevoked(inst, first) {
			t.Errorf("after the resume the token in use is %q", tok)
		}
		e.works(t)
		if st, _ := e.sim.Installation(inst); st.RevokedUses != 0 {
			t.Errorf("%d calls went out with a revoked token", st.RevokedUses)
		}
	})
}

// revoke retires token at Vercel with the token in use.
func revoke(t *testing.T, e *env, token string) {
	t.Helper()
	if _, err := e.caller.For(inst).RevokeCredential(t.Context(), &vercelapi.CredentialRevocation{Token: token,
		ClientSecret: e.sim.ClientSecret()}); err != nil {
		t.Fatal(err)
	}
}

// TestRevokeWaitsForVercel: with Vercel down at revoke time, the new
// token is in use, the answer says the old one is not revoked yet, and a
// later run revokes it.
func TestRevokeWaitsForVercel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.SQLite(t))
	e.sim.Enqueue(vercelsim.RouteRevokeCredential, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503}, vercelsim.Fault{Status: 503})
	res, err := e.svc.Rotate(t.Context(), inst)
	if err != nil || res.Revoked {
		t.Fatalf("rotate: %+v %v, want rotated, not yet revoked", res, err)
	}
	rot, err := e.store.Rotation(t.Context(), inst)
	if err != nil || rot.State != installations.RotationRotated || rot.LastError == "" {
		t.Errorf("rotation in progress %+v %v", rot, err)
	}
	e.works(t)
	if got, err := e.svc.Resume(t.Context()); err != nil || len(got) != 1 || !got[0].Revoked || !e.sim.TokenRevoked(inst, first) {
		t.Errorf("resume: %+v %v", got, err)
	}
}
