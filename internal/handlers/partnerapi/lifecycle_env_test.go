package partnerapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/app/apptest"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

const otherInstallation = "icfg_other0000000000000000"

var notRequired = false

// lifecycleCatalog has one product with a metadata schema and plans of
// every kind: free, paid, prepaid, disabled, private to another
// installation, and installation-scoped.
var lifecycleCatalog = installations.Catalog{
	{ID: "redis", Name: "Redis", SecretNames: []string{"REDIS_URL"},
		MetadataSchema: &installations.MetadataSchema{Type: "object", Required: []string{"size"},
			Properties: map[string]installations.MetadataProperty{
				"region": {Type: "string", Default: installations.Value(`"iad1"`),
					Enum: []installations.Value{installations.Value(`"iad1"`), installations.Value(`"fra1"`)}},
				"size": {Type: "number", Minimum: "1", Maximum: "10"},
			}},
		Plans: []installations.BillingPlan{
			{ID: "redis-free", Type: "subscription", Name: "Free", Description: "Hobby", PaymentMethodRequired: &notRequired},
			{ID: "redis-pro", Type: "subscription", Name: "Pro", Description: "Pro", Cost: "$20.00/month", Price: "20.00"},
			{ID: "redis-credits", Type: "prepayment", Name: "Credits", Description: "Prepaid"},
			{ID: "redis-old", Type: "subscription", Name: "Old", Description: "Retired", Disabled: true},
			{ID: "redis-vip", Type: "subscription", Name: "VIP", Description: "Private", Installations: []string{otherInstallation}},
			{ID: "team", Type: "subscription", Name: "Team", Description: "Per team", Scope: installations.ScopeInstallation},
		}},
	{ID: "kv", Name: "KV", Plans: []installations.BillingPlan{
		{ID: "kv-free", Type: "subscription", Name: "Free", Description: "Hobby", PaymentMethodRequired: &notRequired},
	}},
}

// lifeEnv is the whole server with the lifecycle catalog and one
// installation (testInstallation) installed through the simulator.
type lifeEnv struct {
	*apptest.Env
	sim *vercelsim.Sim
}

func newLifeEnv(t testing.TB, cfg func(*config.Config)) *lifeEnv {
	t.Helper()
	env := apptest.New(t, apptest.Options{Catalog: lifecycleCatalog, Config: cfg})
	e := &lifeEnv{Env: env, sim: env.Sim}
	if _, err := e.sim.Install(context.Background(), e.URL, testInstallation); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *lifeEnv) provisionBody(name, plan string) map[string]any {
	return map[string]any{"productId": "redis", "name": name, "billingPlanId": plan, "metadata": map[string]any{"size": 2}}
}

// provision creates a resource through the simulator and returns its id.
func (e *lifeEnv) provision(t testing.TB, name, plan string) string {
	t.Helper()
	resp, err := e.sim.Provision(t.Context(), e.URL, testInstallation, e.provisionBody(name, plan))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("provision: %v %d %s", err, resp.Status, resp.Body)
	}
	return resp.JSON["id"].(string)
}

// internal calls the internal API with its token.
func (e *lifeEnv) internal(t testing.TB, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, e.URL+"/internal/v1"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apptest.InternalToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

// feed returns the internal event feed's events of one type.
func (e *lifeEnv) feed(t testing.TB, typ string) []map[string]any {
	t.Helper()
	status, body := e.internal(t, "GET", "/events?after=0", "")
	if status != 200 {
		t.Fatalf("events: %d %v", status, body)
	}
	var out []map[string]any
	list, _ := body["events"].([]any)
	for _, ev := range list {
		if m := ev.(map[string]any); m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// errorOf returns error.code and the keys of error.fields.
func errorOf(resp vercelsim.PartnerResponse) (string, []string) {
	e, _ := resp.JSON["error"].(map[string]any)
	code, _ := e["code"].(string)
	var keys []string
	fields, _ := e["fields"].([]any)
	for _, f := range fields {
		keys = append(keys, f.(map[string]any)["key"].(string))
	}
	return code, keys
}

func planIDs(t testing.TB, resp vercelsim.PartnerResponse) []string {
	t.Helper()
	plans, ok := resp.JSON["plans"].([]any)
	if !ok {
		t.Fatalf("no plans in %s", resp.Body)
	}
	var ids []string
	for _, p := range plans {
		ids = append(ids, p.(map[string]any)["id"].(string))
	}
	return ids
}
