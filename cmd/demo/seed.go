package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// seed installs each demo team's installation unless both our database
// and the simulator know it (a restart): then they already share its
// token.
func (d *demoRun) seed(ctx context.Context) error {
	d.sim.SetRedirectLoginURL(d.public + "/callback")
	for _, id := range []string{demoInstallation, demoSecondInstallation} {
		st, known := d.sim.Installation(id)
		status, _, err := d.api.do(ctx, http.MethodGet, "/installations/"+id, nil)
		if err != nil {
			return fmt.Errorf("demo: read the installation: %w", err)
		}
		if known && st.AccessToken != "" && status == http.StatusOK {
			continue
		}
		seed := seedDemo
		if id == demoSecondInstallation {
			seed = seedSecondTeam
		}
		if err := seed(ctx, d.sim, d.public, d.api); err != nil {
			return err
		}
	}
	return nil
}

// seedDemo installs the demo installation through the partner API, as
// Vercel does, and provisions two resources the same way.
func seedDemo(ctx context.Context, sim *vercelsim.Sim, public string, api internalClient) error {
	sim.SetAccount(demoInstallation, vercelsim.AccountInfo{Name: "Acme Demo", URL: "https://vercel.com/acme-demo",
		Contact: &vercelsim.Contact{Email: "ada@acme.dev", Name: "Ada Lovelace"}})
	if _, err := sim.Install(ctx, public, demoInstallation); err != nil {
		return fmt.Errorf("demo: install: %w", err)
	}
	sim.SetMember(demoInstallation, vercelsim.DefaultAdminUserID, "ADMIN", "ada@acme.dev")
	sim.SetMember(demoInstallation, demoViewer, "USER", "grace@acme.dev")
	sim.SetMemberName(demoInstallation, demoViewer, "Grace Hopper")
	var mainID, mainName string
	for _, r := range []struct{ name, plan string }{{"main-db", "pro200"}, {"preview-db", "hobby"}} {
		out, err := sim.ProvisionResource(ctx, public, demoInstallation, map[string]any{
			"productId": "postgres", "name": r.name, "billingPlanId": r.plan, "metadata": map[string]any{}})
		if err != nil {
			return fmt.Errorf("demo: provision %s: %w", r.name, err)
		}
		if mainID == "" {
			mainID, _ = out["id"].(string)
			mainName = r.name
		}
	}
	// A project connected to main-db: the page can deploy a preview of it.
	ev := sim.ProjectConnectedEvent(demoInstallation, mainID, vercelsim.Project{ID: "prj_demo", Name: "demo-app"},
		[]string{"production", "preview", "development"})
	if status, err := sim.DeliverWebhook(ctx, public+"/webhooks/vercel", ev); err != nil || status != http.StatusOK {
		return fmt.Errorf("demo: connect prj_demo: %d %v", status, err)
	}
	id, err := seedInvoice(ctx, api, mainID, mainName, time.Now())
	if err != nil {
		return err
	}
	return settleInvoice(ctx, sim, public, id)
}

// seedSecondTeam installs the integration on a second team, with no
// resources: the one a transfer (Claim Deployments) moves resources to.
func seedSecondTeam(ctx context.Context, sim *vercelsim.Sim, public string, _ internalClient) error {
	sim.SetAccount(demoSecondInstallation, vercelsim.AccountInfo{Name: "Acme Labs", URL: "https://vercel.com/acme-labs",
		Contact: &vercelsim.Contact{Email: "ada@acme.dev", Name: "Ada Lovelace"}})
	if _, err := sim.Install(ctx, public, demoSecondInstallation); err != nil {
		return fmt.Errorf("demo: install the second team: %w", err)
	}
	sim.SetMember(demoSecondInstallation, vercelsim.DefaultAdminUserID, "ADMIN", "ada@acme.dev")
	return nil
}

// seedInvoice submits last month's invoice through the internal API, the
// way a partner's own billing job would, in Vercel's test mode with the
// result "paid"; it returns Vercel's invoiceId.
func seedInvoice(ctx context.Context, api internalClient, resourceID, resourceName string, now time.Time) (string, error) {
	end := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, -1, 0)
	stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	body := map[string]any{
		"externalId": "demo-" + start.Format("2006-01"), "invoiceDate": stamp(end.AddDate(0, 0, -1).Add(12 * time.Hour)),
		"memo": "Demo invoice", "period": map[string]any{"start": stamp(start), "end": stamp(end)},
		"items": []map[string]any{{"billingPlanId": "pro200", "resourceId": resourceID, "name": "Pro plan · " + resourceName,
			"price": "20.00", "quantity": 1, "units": "month", "total": "20.00"}},
		"test": map[string]any{"validate": true, "result": "paid"},
	}
	status, out, err := api.do(ctx, http.MethodPost, "/installations/"+demoInstallation+"/invoices", body)
	if err == nil && status != http.StatusCreated {
		err = fmt.Errorf("%d %s", status, out)
	}
	var answer struct {
		Result struct {
			InvoiceID string `json:"invoiceId"`
		} `json:"result"`
	}
	if err == nil && (json.Unmarshal(out, &answer) != nil || answer.Result.InvoiceID == "") {
		err = fmt.Errorf("no invoiceId in %s", out)
	}
	if err != nil {
		return "", fmt.Errorf("demo: seed invoice: %w", err)
	}
	return answer.Result.InvoiceID, nil
}

// settleInvoice tells our server what Vercel did with the test invoice,
// as Vercel does: marketplace.invoice.created, then .paid (the result the
// test asked for). Both sides then show it paid.
func settleInvoice(ctx context.Context, sim *vercelsim.Sim, public, invoiceID string) error {
	for _, kind := range []string{"created", "paid"} {
		ev := sim.InvoiceEvent(kind, demoInstallation, invoiceID, "", "", vercelsim.Period{})
		status, err := sim.DeliverWebhook(ctx, public+"/webhooks/vercel", ev)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("answered %d", status)
		}
		if err != nil {
			return fmt.Errorf("demo: invoice %s webhook: %w", kind, err)
		}
	}
	return nil
}
