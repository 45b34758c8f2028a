package internalapi_test

import (
	"strings"
	"testing"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestAnswersUseCamelCaseKeys keeps deliveries and the event feed in the
// naming style of installations and resources (Vercel's camelCase).
func TestAnswersUseCamelCaseKeys(t *testing.T) {
	t.Parallel()
	e := newInternalEnv(t, fastRetries)
	e.sim.Enqueue(vercelsim.RouteCreateEvent, vercelsim.Fault{Status: 503})
	_, pending := e.call(t, "POST", base+"/events", eventBody)
	id, _ := deliveryOf(pending)["id"].(string)
	final := e.waitDelivery(t, id)
	_, feed := e.call(t, "GET", "/events?after=0", "")
	for name, answer := range map[string]map[string]any{"pending delivery": deliveryOf(pending), "final delivery": final, "events": feed} {
		for _, k := range keysOf(answer) {
			if strings.Contains(k, "_") {
				t.Errorf("%s: key %q is not camelCase in %v", name, k, answer)
			}
		}
	}
	for _, k := range []string{"installationId", "createdAt", "finishedAt", "attempts"} {
		if _, ok := final[k]; !ok {
			t.Errorf("final delivery lacks %s: %v", k, final)
		}
	}
	if _, ok := pending["delivery"].(map[string]any)["nextAttemptAt"]; !ok {
		t.Errorf("pending delivery lacks nextAttemptAt: %v", pending)
	}
	if _, ok := feed["nextCursor"]; !ok {
		t.Errorf("feed lacks nextCursor: %v", feed)
	}
}

// keysOf lists every object key in v, at any depth.
func keysOf(v any) []string {
	var keys []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			keys = append(keys, k)
			keys = append(keys, keysOf(x)...)
		}
	case []any:
		for _, x := range v {
			keys = append(keys, keysOf(x)...)
		}
	}
	return keys
}
