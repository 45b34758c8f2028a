package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// TestDashboardShowsNotificationsAndSuspension: the installation's and a
// resource's notifications appear where Vercel shows them, and a
// suspended resource says so on every page that lists it.
func TestDashboardShowsNotificationsAndSuspension(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	ctx := context.Background()
	err := e.db.InTx(ctx, func(tx installations.Tx) error {
		if err := tx.SetInstallationNotification(ctx, dashInst, json.RawMessage(
			`{"level":"warn","title":"Payment failed","message":"Invoice inv_1 is unpaid.","href":"sso:`+e.srv.URL+`/dashboard/invoices/inv_1"}`)); err != nil {
			return err
		}
		if err := tx.SetResourceNotification(ctx, dashInst, dashResource, json.RawMessage(`{"level":"error","title":"Over <quota>"}`)); err != nil {
			return err
		}
		r, err := tx.Resource(ctx, dashInst, dashResource)
		if err != nil {
			return err
		}
		r.Status = "suspended"
		_, err = tx.PutResource(ctx, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	overview := get(t, c, e.srv.URL+"/dashboard")
	if overview.StatusCode != http.StatusOK ||
		!strings.Contains(overview.body, `<div class="alert level-warn" role="status"><b>Payment failed</b> <span>Invoice inv_1 is unpaid.</span> <a href="`+e.srv.URL+`/dashboard/invoices/inv_1">Details</a></div>`) ||
		!strings.Contains(overview.body, `<span class="badge badge-suspended">suspended</span>`) {
		t.Errorf("overview:\n%s", overview.body)
	}
	list := get(t, c, e.srv.URL+"/dashboard/resources")
	if !strings.Contains(list.body, `<span class="badge badge-suspended">suspended</span><br><span class="muted">Over &lt;quota&gt;</span>`) {
		t.Errorf("resources page:\n%s", list.body)
	}
	page := get(t, c, e.srv.URL+"/dashboard/resources/"+dashResource)
	if !strings.Contains(page.body, `id="suspended"><b>This resource is suspended.</b>`) ||
		!strings.Contains(page.body, `<div class="alert level-error" role="status"><b>Over &lt;quota&gt;</b></div>`) {
		t.Errorf("resource page:\n%s", page.body)
	}
}
