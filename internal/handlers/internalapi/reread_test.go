package internalapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// waitSim polls the simulator until ok holds, for at most 15 s.
func waitSim(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %s", what)
		}
	}
}

// A rename through the internal API reaches Vercel as resource.updated;
// Vercel then reads the resource back from our partner API, so its copy
// (what the simulated Vercel page shows) has the new name and status.
func TestVercelRereadsAResourceAfterARename(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.SetPartnerURL(e.srv.URL)
	status, body := e.call(t, "PATCH", "/installations/"+testInstallation+"/resources/"+testResource, `{"name":"renamed-db","status":"suspended"}`)
	if status != 202 && status != 200 {
		t.Fatalf("rename: %d %v", status, body)
	}
	waitSim(t, "Vercel's copy to show the new name", func() bool {
		res, _ := e.sim.Resource(testInstallation, testResource)
		return res.Name == "renamed-db"
	})
	res, _ := e.sim.Resource(testInstallation, testResource)
	if res.Status != "suspended" || res.ProductID != "postgres" {
		t.Errorf("Vercel's copy after the re-read: %+v", res)
	}
	rd := e.sim.Rereads()
	if len(rd) == 0 || rd[len(rd)-1].Status != 200 || rd[len(rd)-1].Error != "" {
		t.Errorf("re-reads: %+v", rd)
	}
}

func TestVercelRereadsTheInstallationAfterInstallationUpdated(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.SetPartnerURL(e.srv.URL)
	if err := e.sim.UpdateInstallationPlan(t.Context(), e.srv.URL, testInstallation, "pro200"); err != nil {
		t.Fatal(err)
	}
	status, body := e.call(t, "POST", "/installations/"+testInstallation+"/events", `{"event":{"type":"installation.updated","billingPlanId":"pro200"}}`)
	if status != 202 && status != 200 {
		t.Fatalf("createEvent: %d %v", status, body)
	}
	waitSim(t, "Vercel to read the installation back", func() bool {
		for _, rd := range e.sim.Rereads() {
			if rd.ResourceID == "" && rd.Status == 200 {
				return true
			}
		}
		return false
	})
	st, _ := e.sim.Installation(testInstallation)
	if !strings.Contains(string(st.BillingPlan), `"pro200"`) {
		t.Errorf("Vercel's installation after the re-read has plan %s", st.BillingPlan)
	}
	if got := e.sim.RequestsTo(vercelsim.RouteCreateEvent); len(got) == 0 {
		t.Error("no createEvent reached Vercel")
	}
}
