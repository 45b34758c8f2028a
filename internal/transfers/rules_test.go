package transfers_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

var start = date("2026-03-05T12:00:00Z")

// fieldKeys are the keys an error answer's fields name.
func fieldKeys(resp vercelsim.PartnerResponse) []string {
	e, _ := resp.JSON["error"].(map[string]any)
	list, _ := e["fields"].([]any)
	var out []string
	for _, f := range list {
		m, _ := f.(map[string]any)
		out = append(out, fmt.Sprint(m["key"]))
	}
	return out
}

func TestACreateThatBreaksTheRulesIsRefusedWithItsFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, start, "", "")
	e.put(t, source, "db_1", "pro")
	e.put(t, source, "db_2", "pro")
	e.put(t, other, "db_theirs", "pro")
	now := e.clk.Now()
	many := make([]string, installations.MaxClaimResources+1)
	for i := range many {
		many[i] = fmt.Sprintf("db_%d", i)
	}
	cases := []struct {
		name    string
		ids     []string
		expires time.Time
		status  int
		keys    []string
	}{
		{"no resources", []string{}, now.Add(time.Hour), 400, []string{"resourceIds"}},
		{"more than 50 resources", many, now.Add(time.Hour), 400, []string{"resourceIds"}},
		{"a resource named twice", []string{"db_1", "db_1"}, now.Add(time.Hour), 400, []string{"resourceIds[1]"}},
		{"a malformed id", []string{"db 1"}, now.Add(time.Hour), 400, []string{"resourceIds[0]"}},
		{"an expiry in the past", []string{"db_1"}, now.Add(-time.Second), 400, []string{"expiresAt"}},
		{"an expiry absurdly far", []string{"db_1"}, now.Add(31 * 24 * time.Hour), 400, []string{"expiresAt"}},
		{"another installation's resource", []string{"db_1", "db_theirs"}, now.Add(time.Hour), 422, []string{"resourceIds[1]"}},
		{"an unknown resource", []string{"db_nope", "db_2"}, now.Add(time.Hour), 422, []string{"resourceIds[0]"}},
	}
	for _, c := range cases {
		resp := e.createUntil(t, source, c.expires, c.ids...)
		if resp.Status != c.status || !slices.Equal(fieldKeys(resp), c.keys) {
			t.Errorf("%s: %d %s, want %d naming %v", c.name, resp.Status, resp.Body, c.status, c.keys)
		}
	}
	if evs := e.feed(t, installations.EventResourceTransferred); len(evs) != 0 {
		t.Errorf("refused requests moved something: %+v", evs)
	}
}

func TestAResourceIsInOneOpenClaimAtATime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, start, "", "")
	e.put(t, source, "db_1", "pro")
	e.put(t, source, "db_2", "pro")
	first := e.claim(t, source, "db_1")
	if resp := e.create(t, source, "db_2", "db_1"); resp.Status != http.StatusConflict || !strings.Contains(string(resp.Body), "db_1") {
		t.Errorf("a second claim of db_1: %d %s, want 409 naming it", resp.Status, resp.Body)
	}
	e.clk.Set(start.Add(2 * time.Hour)) // the first claim expired
	second := e.claim(t, source, "db_2", "db_1")
	if second == first || len(second) < 24 {
		t.Errorf("claim ids %q and %q: want distinct unguessable ids", first, second)
	}
}

func TestVerifyAndAcceptFollowTheClaimsState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, start, "", "")
	e.put(t, source, "db_1", "pro")
	claim := e.claim(t, source, "db_1")
	if v := e.verify(t, target, "rtc_unknown"); v.Status != http.StatusNotFound {
		t.Errorf("verify of an unknown claim: %d", v.Status)
	}
	if a := e.accept(t, target, "rtc_unknown"); a.Status != http.StatusNotFound {
		t.Errorf("accept of an unknown claim: %d", a.Status)
	}
	if a := e.accept(t, source, claim); a.Status != http.StatusUnprocessableEntity {
		t.Errorf("the source accepting its own claim: %d %s, want 422", a.Status, a.Body)
	}
	v := e.verify(t, target, claim)
	plan, _ := v.JSON["billingPlan"].(map[string]any)
	if v.Status != http.StatusOK || v.JSON["valid"] != true || plan["id"] != "pro" {
		t.Errorf("verify: %d %s, want valid on pro", v.Status, v.Body)
	}
	for i := range 3 {
		if a := e.accept(t, target, claim); a.Status != http.StatusNoContent {
			t.Errorf("accept %d by the target: %d %s, want 204", i, a.Status, a.Body)
		}
	}
	if a := e.accept(t, other, claim); a.Status != http.StatusConflict {
		t.Errorf("accept by another installation after the target: %d, want 409", a.Status)
	}
	if v := e.verify(t, target, claim); v.Status != http.StatusConflict {
		t.Errorf("verify of an accepted claim: %d, want 409", v.Status)
	}
	if evs := e.feed(t, installations.EventResourceTransferred); len(evs) != 1 {
		t.Errorf("feed has %d resource.transferred, want 1 for three accepts", len(evs))
	}
}

func TestAnExpiredClaimMovesNothing(t *testing.T) {
	t.Parallel()
	eachStore(t, start, func(t *testing.T, e *env) {
		e.put(t, source, "db_1", "pro")
		claim := e.claim(t, source, "db_1")
		e.clk.Set(start.Add(time.Hour)) // exactly at expiry
		if v := e.verify(t, target, claim); v.Status != http.StatusUnprocessableEntity {
			t.Errorf("verify of an expired claim: %d %s, want 422", v.Status, v.Body)
		}
		if a := e.accept(t, target, claim); a.Status != http.StatusUnprocessableEntity {
			t.Errorf("accept of an expired claim: %d %s, want 422", a.Status, a.Body)
		}
		if code, _ := e.call(t, "GET", "/installations/"+source+"/resources/db_1", ""); code != http.StatusOK {
			t.Errorf("db_1 left the source: %d", code)
		}
	})
}

func TestOnlyTheInstallationsOwnTokensMayAct(t *testing.T) {
	t.Parallel()
	e := newEnv(t, start, "", "")
	e.put(t, source, "db_1", "pro")
	claim := e.claim(t, source, "db_1")
	var foreign, idToken, viewer, system string
	e.real(func() {
		foreign = e.Sim.UserToken(other, vercelsim.DefaultAdminUserID, "ADMIN")
		idToken = e.Sim.IDToken(target, vercelsim.DefaultAdminUserID, "ADMIN", nil)
		viewer = e.Sim.UserToken(target, "0b5e000000000002", "USER")
		system = e.Sim.SystemToken(target)
	})
	calls := []struct {
		name string
		do   func() vercelsim.PartnerResponse
		want int
	}{
		{"create with another installation's token", func() vercelsim.PartnerResponse {
			var r vercelsim.PartnerResponse
			e.real(func() {
				r, _ = e.Sim.CreateTransferRequest(context.Background(), e.URL, source, []string{"db_1"},
					e.clk.Now().Add(time.Hour), vercelsim.WithBearer(foreign))
			})
			return r
		}, 403},
		{"verify with an SSO id_token", func() vercelsim.PartnerResponse {
			return e.verify(t, target, claim, vercelsim.WithBearer(idToken))
		}, 403},
		{"accept with another installation's token", func() vercelsim.PartnerResponse {
			return e.accept(t, target, claim, vercelsim.WithBearer(foreign))
		}, 403},
		{"accept by a member who is not an ADMIN", func() vercelsim.PartnerResponse {
			return e.accept(t, target, claim, vercelsim.WithBearer(viewer))
		}, 403},
		{"verify by a member who is not an ADMIN", func() vercelsim.PartnerResponse {
			return e.verify(t, target, claim, vercelsim.WithBearer(viewer))
		}, 200},
		{"accept with the target's system token", func() vercelsim.PartnerResponse {
			return e.accept(t, target, claim, vercelsim.WithBearer(system))
		}, 204},
	}
	for _, c := range calls {
		if resp := c.do(); resp.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, resp.Status, resp.Body, c.want)
		}
	}
}

func TestVerifyAnswersThePlanTheResourcesWillHaveUnderTheTarget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, start, "", "")
	e.put(t, source, "db_1", "pro-private")
	claim := e.claim(t, source, "db_1")
	v := e.verify(t, target, claim)
	plan, _ := v.JSON["billingPlan"].(map[string]any)
	if v.Status != http.StatusOK || plan["id"] != "pro" {
		t.Fatalf("verify: %d %s, want the public pro plan (the private offer is the source's)", v.Status, v.Body)
	}
	if a := e.accept(t, target, claim); a.Status != http.StatusNoContent {
		t.Fatalf("accept: %d %s", a.Status, a.Body)
	}
	got, err := e.App.Resources.GetResource(context.Background(), target, "db_1")
	if err != nil || got.BillingPlanID != "pro" || got.ArrivedAt == nil {
		t.Errorf("at the target: %+v %v, want on pro with its arrival time", got, err)
	}
	if evs := e.feed(t, installations.EventResourceUpdateRequested); len(evs) != 1 || evs[0].InstallationID != target {
		t.Errorf("feed: %+v, want the plan change announced", evs)
	}
}

func TestNoTransferIntoOrOutOfAnUninstalledInstallation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, start, "", "")
	e.put(t, source, "db_1", "pro")
	claim := e.claim(t, source, "db_1")
	e.real(func() {
		if _, err := e.Sim.Uninstall(context.Background(), e.URL, other); err != nil {
			t.Fatal(err)
		}
	})
	if a := e.accept(t, other, claim); a.Status != http.StatusConflict {
		t.Errorf("accept into an uninstalled installation: %d %s, want 409", a.Status, a.Body)
	}
	if code, _ := e.call(t, "GET", "/installations/"+source+"/resources/db_1", ""); code != http.StatusOK {
		t.Errorf("db_1 left the source: %d", code)
	}
}

// TestTheHookHearsOfATransferAfterTheCommit answers resource.transfer
// with a failure: the transfer stands.
func TestTheHookHearsOfATransferAfterTheCommit(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	var mu sync.Mutex
	var got []provisioning.Request
	var ids []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if provisioning.Verify(secret, r.Header, body) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var req provisioning.Request
		json.Unmarshal(body, &req)
		mu.Lock()
		got = append(got, req)
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(hook.Close)
	e := newEnvWith(t, start, func(c *config.Config) {
		c.Provisioning.HookURL, c.Provisioning.HookSecret = hook.URL, secret
	})
	e.put(t, source, "db_1", "pro")
	claim := e.claim(t, source, "db_1")
	if a := e.accept(t, target, claim); a.Status != http.StatusNoContent {
		t.Fatalf("accept with a failing hook: %d %s", a.Status, a.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Type != provisioning.TypeTransfer || got[0].InstallationID != target || got[0].FromInstallationID != source {
		t.Errorf("hook requests %+v, want one resource.transfer to the target from the source", got)
	}
	if want := "msg_" + claim + "_db_1"; len(ids) != 1 || ids[0] != want {
		t.Errorf("webhook-ids %v, want %s: one per claim and resource, so the hook can deduplicate", ids, want)
	}
	if _, err := e.App.Resources.GetResource(context.Background(), target, "db_1"); err != nil {
		t.Errorf("the transfer did not stand: %v", err)
	}
}
