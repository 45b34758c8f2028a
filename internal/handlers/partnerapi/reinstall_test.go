package partnerapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
)

// TestReinstallAfterFinalizationStartsClean: once an installation is
// finalized, a PUT of its id is a fresh install. Its old resources do not
// come back on any surface (partner API, internal API), its plan starts
// over, the feed announces installation.created, and new resources work.
func TestReinstallAfterFinalizationStartsClean(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			opts := apptest.Options{Catalog: lifecycleCatalog}
			if driver == "postgres" {
				opts.Driver, opts.DSN = driver, dbtest.PostgresDSN(t)
			}
			env := apptest.New(t, opts)
			e := &lifeEnv{Env: env, sim: env.Sim}
			ctx := context.Background()
			if _, err := e.sim.Install(ctx, e.URL, testInstallation); err != nil {
				t.Fatal(err)
			}
			old := e.provision(t, "old-cache", "redis-free")
			if finalized, err := e.sim.Uninstall(ctx, e.URL, testInstallation); err != nil || !finalized {
				t.Fatalf("uninstall: finalized %v, %v", finalized, err)
			}
			if _, err := e.sim.Install(ctx, e.URL, testInstallation); err != nil {
				t.Fatal(err)
			}

			if resp, err := e.sim.GetResource(ctx, e.URL, testInstallation, old); err != nil || resp.Status != http.StatusNotFound {
				t.Errorf("partner API GET of the old resource: %d %v, want 404", resp.Status, err)
			}
			if status, _ := e.internal(t, "GET", "/installations/"+testInstallation+"/resources/"+old, ""); status != http.StatusNotFound {
				t.Errorf("internal API GET of the old resource: %d, want 404", status)
			}
			if ids := e.resourceIDs(t); len(ids) != 0 {
				t.Errorf("resources after the reinstall %v, want none", ids)
			}
			fresh := e.provision(t, "new-cache", "redis-free")
			if ids := e.resourceIDs(t); len(ids) != 1 || ids[0] != fresh {
				t.Errorf("resources %v, want only the new %s", ids, fresh)
			}
			status, in := e.internal(t, "GET", "/installations/"+testInstallation, "")
			if status != http.StatusOK || in["status"] != "active" || in["billingPlanId"] != nil && in["billingPlanId"] != "" {
				t.Errorf("installation after the reinstall: %d %v", status, in)
			}
			if n := len(e.feed(t, "installation.created")); n != 2 {
				t.Errorf("%d installation.created events, want 2 (the install and the reinstall)", n)
			}
		})
	}
}

// resourceIDs lists the installation's resources through the internal API.
func (e *lifeEnv) resourceIDs(t *testing.T) []string {
	t.Helper()
	status, body := e.internal(t, "GET", "/installations/"+testInstallation+"/resources", "")
	if status != http.StatusOK {
		t.Fatalf("list resources: %d %v", status, body)
	}
	var ids []string
	list, _ := body["resources"].([]any)
	for _, r := range list {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	return ids
}
