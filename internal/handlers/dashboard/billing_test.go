package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// A USER member sees the open period above the invoices: 42.5 GB stored,
// 32.5 billable at 0.10 = 3.25, plus the 20.00 flat fee: 23.25.
func TestBillingPageShowsTheOpenPeriod(t *testing.T) {
	t.Parallel()
	e := newDashEnv(t)
	ctx := context.Background()
	if _, err := e.resources.PutResource(ctx, installations.Resource{ID: "db_metered", InstallationID: dashInst,
		ProductID: "postgres", Name: "metered-db", Status: "ready", BillingPlanID: "pro200"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.usage.AddUsage(ctx, dashInst, []billing.Record{{ID: "u1", ResourceID: "db_metered", Meter: "storage",
		Value: money.MustParse("42.5"), At: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	inv := e.submitInvoice(t)
	user, _ := e.signIn(t, dashUser, vercelapi.RoleUser, nil)
	p := get(t, user, e.srv.URL+"/dashboard/invoices")
	open := strings.Index(p.body, `id="open-period"`)
	invoices := strings.Index(p.body, inv)
	if open < 0 || invoices < open {
		t.Fatalf("billing page lacks the open period above the invoices: %.2000s", p.body)
	}
	for _, want := range []string{"metered-db", "42.5 GB", "32.5 GB", "$0.10", "$3.25", "$20.00", "$23.25"} {
		if !strings.Contains(p.body[open:invoices], want) {
			t.Errorf("open period does not show %q: %.1500s", want, p.body[open:invoices])
		}
	}
}
