package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
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
		if err := seed(ctx, d.sim, d.public, d.secrets.InternalToken); err != nil {
			return err
		}
	}
	return nil
}

// seedDemo installs the demo installation through the partner API, as
// Vercel does, and provisions two resources the same way.
func seedDemo(ctx context.Context, sim *vercelsim.Sim, public, token string) error {
	sim.SetAccount(demoInstallation, vercelsim.AccountInfo{Name: "Acme Demo", URL: "https://vercel.com/acme-demo",
		Contact: &vercelsim.Contact{Email: "ada@acme.dev", Name: "Ada Lovelace"}})
	if _, err := sim.Install(ctx, public, demoInstallation); err != nil {
		return fmt.Errorf("demo: install: %w", err)
	}
	sim.SetMember(demoInstallation, vercelsim.DefaultAdminUserID, "ADMIN", "ada@acme.dev")
	sim.SetMember(demoInstallation, demoViewer, "USER", "grace@acme.dev")
	sim.SetMemberName(demoInstallation, demoViewer, "Grace Hopper")
	var mainID string
	for _, r := range []struct{ name, plan string }{{"main-db", "pro200"}, {"preview-db", "hobby"}} {
		out, err := sim.ProvisionResource(ctx, public, demoInstallation, map[string]any{
			"productId": "postgres", "name": r.name, "billingPlanId": r.plan, "metadata": map[string]any{}})
		if err != nil {
			return fmt.Errorf("demo: provision %s: %w", r.name, err)
		}
		if mainID == "" {
			mainID, _ = out["id"].(string)
		}
	}
	return seedInvoice(ctx, public, token, mainID)
}

// seedSecondTeam installs the integration on a second team, with no
// resources: the one a transfer (Claim Deployments) moves resources to.
func seedSecondTeam(ctx context.Context, sim *vercelsim.Sim, public, _ string) error {
	sim.SetAccount(demoSecondInstallation, vercelsim.AccountInfo{Name: "Acme Labs", URL: "https://vercel.com/acme-labs",
		Contact: &vercelsim.Contact{Email: "ada@acme.dev", Name: "Ada Lovelace"}})
	if _, err := sim.Install(ctx, public, demoSecondInstallation); err != nil {
		return fmt.Errorf("demo: install the second team: %w", err)
	}
	sim.SetMember(demoSecondInstallation, vercelsim.DefaultAdminUserID, "ADMIN", "ada@acme.dev")
	return nil
}

// seedInvoice submits last month's test invoice through the internal API,
// the way a partner's billing job would.
func seedInvoice(ctx context.Context, public, token, resourceID string) error {
	end := time.Now().UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, -1, 0)
	stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	body := fmt.Sprintf(`{"externalId":"demo-%s","invoiceDate":"%s","memo":"Demo invoice",
	 "period":{"start":"%s","end":"%s"},
	 "items":[{"billingPlanId":"pro200","resourceId":"%s","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"}],
	 "test":{"validate":true,"result":"paid"}}`, start.Format("2006-01"), stamp(end.Add(-time.Hour)), stamp(start), stamp(end), resourceID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, public+"/internal/v1/installations/"+demoInstallation+"/invoices", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo: seed invoice: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("demo: seed invoice: %d %s", res.StatusCode, msg)
	}
	return nil
}
