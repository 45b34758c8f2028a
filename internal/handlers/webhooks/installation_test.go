package webhooks_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
)

// installationView is what the internal API's GET installation shows of
// what these webhooks change.
type installationView struct {
	TeamID, AccountID, ProjectSelection string
	Scopes, Projects                    []string
}

func TestTransferMovesTheInstallationAndEndsItsSessions(t *testing.T) {
	t.Parallel()
	drivers(t, func(t *testing.T, opts apptest.Options) {
		e := newEnv(t, opts)
		bob := e.signIn(t, member, "ADMIN")
		e.signIn(t, admin, "ADMIN")
		e.mustDeliver(t, e.Sim.TransferredEvent(inst, "team_old", "acc_old", "team_new", "acc_new"))
		var in installationView
		e.internal(t, "GET", "/installations/"+inst, &in)
		if in.TeamID != "team_new" || in.AccountID != "acc_new" {
			t.Errorf("installation %+v, want the new team and account", in)
		}
		if a, m := e.sessions(t, admin), e.sessions(t, member); a+m != 0 {
			t.Errorf("%d sessions of the previous team's members left", a+m)
		}
		if status, _, loc := page(t, bob, e.URL+"/dashboard"); status != http.StatusSeeOther || loc != "/signin" {
			t.Errorf("a member of the previous team: %d to %q, want 303 to /signin", status, loc)
		}
	})
}

func TestScopeChangeAndPermissionUpgradeAreRecorded(t *testing.T) {
	t.Parallel()
	drivers(t, func(t *testing.T, opts apptest.Options) {
		e := newEnv(t, opts)
		e.mustDeliver(t, e.Sim.ScopeChangeConfirmedEvent(inst, []string{"read:project", "read-write:integration-resource"}))
		e.mustDeliver(t, e.Sim.PermissionUpgradedEvent(inst, "selected", []string{"prj_a", "prj_b"}, nil))
		e.mustDeliver(t, e.Sim.PermissionUpgradedEvent(inst, "selected", []string{"prj_c"}, []string{"prj_a"}))
		var in installationView
		e.internal(t, "GET", "/installations/"+inst, &in)
		if !slices.Equal(in.Scopes, []string{"read:project", "read-write:integration-resource"}) ||
			in.ProjectSelection != "selected" || !slices.Equal(in.Projects, []string{"prj_b", "prj_c"}) {
			t.Errorf("installation %+v", in)
		}
		// Payloads we cannot record change nothing and are still kept.
		bad := e.Sim.ScopeChangeConfirmedEvent(inst, nil)
		delete(bad.Payload["configuration"].(map[string]any), "scopes")
		e.mustDeliver(t, bad)
		e.mustDeliver(t, e.Sim.PermissionUpgradedEvent(inst, "some", []string{"prj/../x"}, nil))
		e.internal(t, "GET", "/installations/"+inst, &in)
		if len(in.Scopes) != 2 || !slices.Equal(in.Projects, []string{"prj_b", "prj_c"}) {
			t.Errorf("after unusable payloads: %+v", in)
		}
		if len(e.feedOf(t, bad.ID)) != 1 {
			t.Error("an unusable event is not on the feed")
		}
	})
}
