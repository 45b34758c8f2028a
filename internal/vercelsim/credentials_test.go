package vercelsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var tokenLine = regexp.MustCompile(`<p class="muted" id="installation-token">.*?</p>`)

// TestRotatedTokensAreReallyInvalidated: a rotation issues a new token
// while the old one still works; once revoked, the old one is refused
// (and counted); the last live token cannot be revoked.
func TestRotatedTokensAreReallyInvalidated(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, old, _ := newInstallation(t, s)
	base := "/v1/installations/" + id
	secret := map[string]any{"client_secret": s.ClientSecret()}
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"a wrong client secret", map[string]any{"client_secret": "nope"}, http.StatusForbidden},
		{"no client secret", map[string]any{}, http.StatusBadRequest},
		{"an unknown key", map[string]any{"client_secret": s.ClientSecret(), "scope": "x"}, http.StatusBadRequest},
	} {
		if r := call(t, s, "POST", base+"/credentials/rotate", old, tc.body); r.status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
	}
	r := call(t, s, "POST", base+"/credentials/rotate", old, secret)
	var cred struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if json.Unmarshal(r.body, &cred); r.status != http.StatusOK || cred.AccessToken == "" || cred.TokenType != "oauth2-token" {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	if r := call(t, s, "POST", base+"/credentials/rotate", cred.AccessToken, secret); r.status != http.StatusConflict {
		t.Errorf("a second rotation before the old token is revoked: %d, want 409", r.status)
	}
	for _, tok := range []string{old, cred.AccessToken} {
		if r := call(t, s, "GET", base+"/account", tok, nil); r.status != http.StatusOK {
			t.Errorf("before the revocation a live token gets %d", r.status)
		}
	}
	revoke := func(bearer, token string) result {
		return call(t, s, "POST", base+"/credentials/revoke", bearer, map[string]any{"token": token, "client_secret": s.ClientSecret()})
	}
	if r := revoke(cred.AccessToken, old); r.status != http.StatusOK || !strings.Contains(string(r.body), `"revoked":true`) {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := revoke(cred.AccessToken, old); !strings.Contains(string(r.body), `"already_revoked":true`) {
		t.Errorf("a repeat: %s", r.body)
	}
	if r := call(t, s, "GET", base+"/account", old, nil); r.status != http.StatusUnauthorized || !strings.Contains(errorMessage(t, r.body), "revoked") {
		t.Errorf("the revoked token gets %d %s, want 401", r.status, r.body)
	}
	if r := revoke(cred.AccessToken, cred.AccessToken); r.status != http.StatusConflict {
		t.Errorf("revoking the last live token: %d, want 409", r.status)
	}
	st, _ := s.Installation(id)
	if st.AccessToken != cred.AccessToken || st.RevokedUses != 1 || !s.TokenRevoked(id, old) {
		t.Errorf("state %+v", st)
	}
	page := getPage(t, s, "/")
	if !strings.Contains(page, "rotated 1 time; 1 live, 1 revoked") || !strings.Contains(page, "1 call refused with a revoked token") ||
		strings.Contains(page, old) || strings.Contains(page, cred.AccessToken) {
		t.Errorf("the page does not show the switch (or shows a token):\n%s", tokenLine.FindString(page))
	}
}

// TestPageShowsNotificationsStatusesAndPaymentButtons: what the partner
// sent is shown as Vercel shows it, and a failed payment is one button.
func TestPageShowsNotificationsStatusesAndPaymentButtons(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	id, tok, invoice := newInstallation(t, s)
	base := "/v1/installations/" + id
	call(t, s, "PATCH", base, tok, map[string]any{"notification": map[string]any{"level": "warn", "title": "Payment failed", "href": "sso:https://partner.example/dashboard"}})
	call(t, s, "PATCH", base+"/resources/db_1", tok, map[string]any{"status": "suspended", "notification": map[string]any{"level": "error", "title": "Over quota"}})
	page := getPage(t, s, "/")
	for _, want := range []string{`<p class="notification level-warn"><b>Payment failed</b>`, `<p class="notification level-error"><b>Over quota</b>`,
		`class="resource-status status-suspended">suspended</b>`, "Suspended by the provider", `class="danger payment-failed">Payment failed</button>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	p := newReadPartner(t, map[string]partnerAnswer{"POST /webhooks/vercel": {200, `{}`}})
	s.SetConsole(Console{PartnerURL: p.URL})
	got := flashOf(t, postForm(t, s, "/console/"+id+"/webhooks/invoice", url.Values{"invoice": {invoice}, "kind": {"notpaid"}}))
	if !strings.HasPrefix(got, "Sent “invoice not paid” for SIM-") {
		t.Errorf("flash %s", got)
	}
	if inv, _ := s.Invoice(id, invoice); inv.State != "notpaid" {
		t.Errorf("the invoice is %s after a failed payment", inv.State)
	}
	if reqs := p.requests(); len(reqs) != 1 {
		t.Errorf("the partner got %d webhooks", len(reqs))
	}
	call(t, s, "PATCH", base, tok, []byte(`{"notification":null}`))
	if page := getPage(t, s, "/"); strings.Contains(page, "<b>Payment failed</b>") {
		t.Error("a cleared notification is still shown")
	}
}
