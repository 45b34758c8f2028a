package dashboard

import (
	"context"
	"net/url"
	"testing"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	l := &Linker{Origin: &url.URL{Scheme: "https", Host: "partner.example"}}
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"https://partner.example/dashboard/invoices", "/dashboard/invoices", true},
		{"https://PARTNER.example/dashboard?x=1#y", "/dashboard?x=1#y", true},
		{"/dashboard/support", "/dashboard/support", true},
		{"http://partner.example/dashboard", "", false}, // other scheme
		{"https://partner.example:444/", "", false},     // other port
		{"https://evil.example/", "", false},            // other host
		{"https://partner.example.evil.example/", "", false},
		{"https://partner.example@evil.example/", "", false},
		{"//evil.example/", "", false},
		{"/\\evil.example", "", false},
		{"/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x", true}, // stays escaped in the path
		{"javascript:alert(1)", "", false},
		{"dashboard", "", false}, // relative paths are not ours to guess
		{"https://partner.example/callback?code=x", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := l.sameOrigin(tt.raw)
		if ok != tt.ok || got != tt.want {
			t.Errorf("sameOrigin(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func TestResourcePage(t *testing.T) {
	t.Parallel()
	if got := ResourcePage("db_1", "prj_a", "bad id!", true); got != "/dashboard/resources/db_1?project_id=prj_a#secrets" {
		t.Fatalf("got %q", got)
	}
}

// checkRuns is an installation's check runs, by check run id and check id.
type checkRuns map[string]installations.DeploymentJob

func (c checkRuns) CheckRun(_ context.Context, installationID, id string) (installations.DeploymentJob, error) {
	for _, j := range c {
		if j.InstallationID == installationID && (j.Name == id || j.CheckID == id) {
			return j, nil
		}
	}
	return installations.DeploymentJob{}, apperr.NotFoundf("no check run")
}

func TestCheckIDOpensTheCheckRunPage(t *testing.T) {
	t.Parallel()
	l := &Linker{Checks: checkRuns{"r": {InstallationID: "icfg_a", Name: "chkrun_1", CheckID: "chk_1"}}}
	for _, c := range []struct {
		inst string
		q    url.Values
		want string
	}{
		{"icfg_a", url.Values{"check_id": {"chkrun_1"}}, "/dashboard/checks/chkrun_1"},
		{"icfg_a", url.Values{"check_id": {"chk_1"}, "project_id": {"prj_1"}}, "/dashboard/checks/chkrun_1"},
		{"icfg_b", url.Values{"check_id": {"chkrun_1"}}, "/dashboard"}, // another installation's
		{"icfg_a", url.Values{"check_id": {"chkrun_2"}}, "/dashboard"},
		{"icfg_a", url.Values{"check_id": {"../x"}}, "/dashboard"},
	} {
		if got := l.Target(t.Context(), c.inst, c.q); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.inst, c.q, got, c.want)
		}
	}
}
