package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// internalClient calls our internal API with the demo's token, as the
// partner's own services would.
type internalClient struct {
	base, token string
	http        *http.Client
}

// do sends body (nil: none) and returns the status and the answer.
func (c internalClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/internal/v1"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, out, err
}

// answer turns a call's outcome into the console's message; any non-2xx
// (a 404 while billing is not built yet, say) is shown as is.
func answer(status int, body []byte, err error) (string, error) {
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("%d %s %s", status, http.StatusText(status), bytes.TrimSpace(body))
	if status/100 != 2 {
		return "", fmt.Errorf("our server answered %s", msg)
	}
	return "our server answered " + msg, nil
}

// usageBatch is a batch of made-up usage for every resource on a metered
// plan: storage (a total) and queries (an interval sum).
func usageBatch(resources []vercelsim.Resource, now time.Time) []map[string]any {
	var records []map[string]any
	at := now.UTC().Add(-time.Minute).Format(time.RFC3339)
	for _, r := range resources {
		if r.BillingPlanID != "pro200" {
			continue
		}
		stamp := now.UnixNano()
		records = append(records,
			map[string]any{"id": fmt.Sprintf("demo-%s-storage-%d", r.ID, stamp), "resourceId": r.ID, "meter": "storage", "value": 10 + rand.IntN(40), "at": at},
			map[string]any{"id": fmt.Sprintf("demo-%s-queries-%d", r.ID, stamp), "resourceId": r.ID, "meter": "queries", "value": 20 + rand.IntN(200), "at": at})
	}
	return records
}

// endOfMonth is the first instant of next month plus the late-usage
// grace and a few minutes: running billing then closes the current period.
func endOfMonth(now time.Time, grace time.Duration) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Add(grace + 5*time.Minute)
}

// demoActions are the partner-side buttons on the simulated dashboard;
// grace is billing's late-usage grace, dunning the payment grace.
func demoActions(sim *vercelsim.Sim, c internalClient, grace, dunning time.Duration) []vercelsim.ConsoleAction {
	return []vercelsim.ConsoleAction{
		{Name: "usage", Label: "Report usage", Help: "posts a batch of storage and query usage for each Pro resource to POST /internal/v1/installations/{id}/usage",
			Run: func(ctx context.Context, inst string) (string, error) {
				records := usageBatch(sim.Resources(inst), time.Now())
				if len(records) == 0 {
					return "", fmt.Errorf("no resource is on the metered Pro plan")
				}
				return answer(c.do(ctx, http.MethodPost, "/installations/"+inst+"/usage", map[string]any{"records": records}))
			}},
		{Name: "billing", Label: "Run billing now", Help: "POST /internal/v1/billing/run: sends interim billing data to Vercel",
			Run: func(ctx context.Context, _ string) (string, error) {
				return answer(c.do(ctx, http.MethodPost, "/billing/run", map[string]any{}))
			}},
		{Name: "end-of-month", Label: "Jump to the end of the month (demo time travel)", Help: jumpHelp,
			Run: func(ctx context.Context, _ string) (string, error) {
				return jumpToMonthEnd(ctx, c, endOfMonth(time.Now(), grace))
			}},
		{Name: "notify", Label: "Show a notification", Help: "PUT /internal/v1/installations/{id}/notification: Vercel shows it on the installation above",
			Run: func(ctx context.Context, inst string) (string, error) {
				return answer(c.do(ctx, http.MethodPut, "/installations/"+inst+"/notification", map[string]any{"level": "info",
					"title": "Maintenance tonight", "message": "22:00–23:00 UTC: connections may drop for a few seconds.",
					"href": "sso:" + c.base + "/dashboard"}))
			}},
		{Name: "clear-notification", Label: "Clear the notification", Help: "DELETE /internal/v1/installations/{id}/notification: Vercel is sent \"notification\": null",
			Run: func(ctx context.Context, inst string) (string, error) {
				return answer(c.do(ctx, http.MethodDelete, "/installations/"+inst+"/notification", nil))
			}},
		{Name: "payment-grace", Label: "Jump past the payment grace", Help: "runs billing as if the grace after a failed payment were over: after \"Payment failed\" on an invoice below, the paid resources are suspended (\"Paid\" resumes them)",
			Run: func(ctx context.Context, _ string) (string, error) {
				now := time.Now().Add(dunning + time.Hour).UTC().Format(time.RFC3339)
				return answer(c.do(ctx, http.MethodPost, "/billing/run", map[string]any{"now": now}))
			}},
		{Name: "rotate-token", Label: "Rotate the installation token", Help: "POST /internal/v1/installations/{id}/credentials/rotate: Vercel issues a new token, the server uses it at once and revokes the old one once no call can still be using it (about 12 s); the token line above shows the switch",
			Run: func(ctx context.Context, inst string) (string, error) {
				return answer(c.do(ctx, http.MethodPost, "/installations/"+inst+"/credentials/rotate", nil))
			}},
	}
}

// jumpHelp says what the jump does: the demo's only time travel.
const jumpHelp = "Demo only: runs billing once as if it were just after this month's end and its late-usage grace " +
	"(POST /internal/v1/billing/run with \"now\", which only a server with billing.allow_clock_override accepts), " +
	"so this month's invoice goes to Vercel now instead of next month. The clock itself does not move: " +
	"usage reported later this month is not invoiced."

// jumpToMonthEnd runs billing as of at and says what came of it.
func jumpToMonthEnd(ctx context.Context, c internalClient, at time.Time) (string, error) {
	status, body, err := c.do(ctx, http.MethodPost, "/billing/run", map[string]any{"now": at.Format(time.RFC3339)})
	if _, err := answer(status, body, err); err != nil {
		return "", err
	}
	var run struct {
		Counts struct{ Invoices int } `json:"counts"`
	}
	_ = json.Unmarshal(body, &run)
	what := "no invoice was due: this month is invoiced already, or nothing in it is billable"
	if run.Counts.Invoices > 0 {
		what = "this month's invoice went to Vercel (see Invoices below; it is pending until Vercel's webhooks say more)"
	}
	return fmt.Sprintf("billed once as if it were %s (the clock itself did not move); %s. Our server answered %d %s %s",
		at.Format("2 Jan 2006 15:04 UTC"), what, status, http.StatusText(status), bytes.TrimSpace(body)), nil
}

// demoCurl is copy-paste commands for the internal API with the real
// token and ids.
func demoCurl(base, token, inst string, resources []vercelsim.Resource) string {
	rid := "RESOURCE_ID"
	if len(resources) > 0 {
		rid = resources[0].ID
	}
	auth := fmt.Sprintf(`-H "Authorization: Bearer %s"`, token)
	ctype := `-H "Content-Type: application/json"`
	api := base + "/internal/v1"
	at := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	lines := []string{
		"# list installations",
		fmt.Sprintf("curl %s %s/installations", auth, api),
		"# rename a resource (Vercel gets resource.updated)",
		fmt.Sprintf(`curl -X PATCH %s %s -d '{"name":"renamed-by-curl"}' %s/installations/%s/resources/%s`, auth, ctype, api, inst, rid),
		"# import a database you already have (Vercel gets importResource; linked: billed by you)",
		fmt.Sprintf(`curl -X PUT %s %s -d '{"productId":"postgres","name":"from-curl","ownership":"linked"}' %s/installations/%s/resources/pg_from_curl`,
			auth, ctype, api, inst),
		"# report usage",
		fmt.Sprintf(`curl -X POST %s %s -d '{"records":[{"id":"curl-%d","resourceId":"%s","meter":"queries","value":42,"at":"%s"}]}' %s/installations/%s/usage`,
			auth, ctype, time.Now().Unix(), rid, at, api, inst),
		"# show a notification on the installation (DELETE clears it)",
		fmt.Sprintf(`curl -X PUT %s %s -d '{"level":"warn","title":"Disk almost full"}' %s/installations/%s/notification`, auth, ctype, api, inst),
		"# suspend a resource (and .../resume)",
		fmt.Sprintf(`curl -X POST %s %s/installations/%s/resources/%s/suspend`, auth, api, inst, rid),
		"# rotate the installation's Vercel token",
		fmt.Sprintf(`curl -X POST %s %s/installations/%s/credentials/rotate`, auth, api, inst),
		"# run billing now",
		fmt.Sprintf(`curl -X POST %s %s -d '{}' %s/billing/run`, auth, ctype, api),
		"# read the event feed",
		fmt.Sprintf("curl %s '%s/events?after='", auth, api),
	}
	return strings.Join(lines, "\n")
}

// branchesNote lists the preview branches the demo's hook created and has
// not dropped yet.
func branchesNote(branches []string) string {
	if len(branches) == 0 {
		return "None. Deploy a preview of prj_demo (Deployments, above): its action creates a branch, cleanup drops it."
	}
	return strings.Join(branches, "\n")
}
