package vercelapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is one request the test server saw.
type recorded struct {
	method string
	uri    string // raw RequestURI, to check percent-encoding
	header http.Header
	body   string
}

// testServer answers every request with a fixed status, headers and body.
type testServer struct {
	mu     sync.Mutex
	reqs   []recorded
	status int
	header map[string]string
	body   string
}

func (s *testServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, recorded{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
	status, header, body := s.status, s.header, s.body
	s.mu.Unlock()
	for k, v := range header {
		w.Header().Set(k, v)
	}
	if body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *testServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// setup starts an httptest server answering status/body and a client for it
// that makes single attempts.
func setup(t *testing.T, status int, body string, header map[string]string) (*Client, *testServer) {
	t.Helper()
	s := &testServer{status: status, body: body, header: header}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c, err := NewClient(ts.URL, WithVersion("1.2.3"), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// operation is one client method with its expected wire exchange.
type operation struct {
	name   string
	call   func(ctx context.Context, c *Client) (any, error)
	method string
	uri    string
	body   string // expected request body (compacted), "" for none
	accept string
	status int    // success status
	resp   string // success body
	check  func(t *testing.T, got any)
}

func operations(t *testing.T) []operation {
	const inst = "/v1/installations/" + testIcfg
	return []operation{
		{
			name:   "GetAccountInfo",
			call:   func(ctx context.Context, c *Client) (any, error) { return c.GetAccountInfo(ctx, testToken, testIcfg) },
			method: "GET", uri: inst + "/account", accept: "application/json", status: 200, resp: docAccount,
			check: func(t *testing.T, got any) {
				a := got.(*AccountInfo)
				if a.Contact == nil || a.Contact.Email != "ada@acme.dev" || a.Contact.Name != "Ada Lovelace" || a.Name != "Acme" ||
					a.URL != "https://vercel.com/acme/~/integrations/partner-db/icfg_9bceb8ccT32d3U417ezb5c8p" {
					t.Errorf("account = %+v", a)
				}
			},
		},
		{
			name: "GetMember",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetMember(ctx, testToken, testIcfg, "9f3c2a7b41d04e6f")
			},
			method: "GET", uri: inst + "/member/9f3c2a7b41d04e6f", accept: "application/json", status: 200, resp: docMember,
			check: func(t *testing.T, got any) {
				if m := *got.(*Member); m != (Member{ID: "9f3c2a7b41d04e6f", Role: RoleAdmin, GlobalUserID: "5e1d0c9b8a7f6e5d", UserEmail: "ada@acme.dev"}) {
					t.Errorf("member = %+v", m)
				}
			},
		},
		{
			name: "CreateEvent/resource.updated",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.CreateEvent(ctx, testToken, testIcfg, ResourceUpdated("db_7Hq2Lx", "postgres"))
			},
			method: "POST", uri: inst + "/events", body: compact(t, docEvent), accept: "*/*", status: 201,
		},
		{
			name: "CreateEvent/installation.updated",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.CreateEvent(ctx, testToken, testIcfg, InstallationUpdated("pro200"))
			},
			method: "POST", uri: inst + "/events", body: `{"event":{"type":"installation.updated","billingPlanId":"pro200"}}`, accept: "*/*", status: 201,
		},
		{
			name: "SubmitBillingData",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SubmitBillingData(ctx, testToken, testIcfg, docBillingData(t))
			},
			method: "POST", uri: inst + "/billing", body: compact(t, docBilling), accept: "*/*", status: 201,
		},
		{
			name: "SubmitInvoice",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SubmitInvoice(ctx, testToken, testIcfg, docInvoiceRequest(t))
			},
			method: "POST", uri: inst + "/billing/invoices", body: compact(t, docInvoiceReq), accept: "application/json", status: 200, resp: docInvoiceResult,
			check: func(t *testing.T, got any) {
				if r := got.(*SubmitInvoiceResult); r.InvoiceID != "inv_V3rc3lQ8m2" || !r.Test || r.ValidationErrors == nil {
					t.Errorf("result = %+v", r)
				}
			},
		},
		{
			name: "GetInvoice",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetInvoice(ctx, testToken, testIcfg, "inv_V3rc3lQ8m2")
			},
			method: "GET", uri: inst + "/billing/invoices/inv_V3rc3lQ8m2", accept: "application/json", status: 200, resp: docInvoice,
			check: func(t *testing.T, got any) {
				inv := got.(*Invoice)
				if inv.State != InvoicePaid || inv.Total != "12.50" || inv.InvoiceNumber != "V-2026-000123" ||
					!inv.PaidAt.Equal(mustTime(t, "2026-11-02T09:14:00Z").Time) || !inv.RefundedAt.IsZero() ||
					len(inv.Items) != 1 || inv.Items[0].Quantity != "1" || len(inv.Discounts) != 1 || inv.Period != oct2026(t) {
					t.Errorf("invoice = %+v", inv)
				}
			},
		},
		{
			name: "UpdateInvoice",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateInvoice(ctx, testToken, testIcfg, "inv_V3rc3lQ8m2",
					&InvoiceAction{Action: ActionRefund, Reason: "Outage credit for 2026-10-12", Total: "12.50"})
			},
			method: "POST", uri: inst + "/billing/invoices/inv_V3rc3lQ8m2/actions", body: compact(t, docRefund), accept: "*/*", status: 204,
		},
		{
			name: "RefundInvoice",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.RefundInvoice(ctx, testToken, testIcfg, "inv_V3rc3lQ8m2", "Outage credit for 2026-10-12", MoneyFromCents(1250))
			},
			method: "POST", uri: inst + "/billing/invoices/inv_V3rc3lQ8m2/actions", body: compact(t, docRefund), accept: "*/*", status: 204,
		},
		{
			name: "UpdateResourceSecrets",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateResourceSecrets(ctx, testToken, testIcfg, "db_7Hq2Lx", docSecretsUpdate())
			},
			method: "PUT", uri: inst + "/resources/db_7Hq2Lx/secrets", body: compact(t, docSecrets), accept: "*/*", status: 201,
		},
		{
			name: "UpdateResourceSecretsByProduct",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateResourceSecretsByProduct(ctx, testToken, testIcfg, "postgres", "db_7Hq2Lx", docSecretsUpdate())
			},
			method: "PUT", uri: inst + "/products/postgres/resources/db_7Hq2Lx/secrets", body: compact(t, docSecrets), accept: "*/*", status: 201,
		},
		{
			name: "UpdateInstallation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.UpdateInstallation(ctx, testToken, testIcfg, &InstallationUpdate{
					Status: StatusReady, BillingPlan: &BillingPlan{ID: "pro200", Type: "subscription", Name: "Pro", Cost: "$20.00/month"},
					Notification: ClearNotification(),
				})
			},
			method: "PATCH", uri: inst, accept: "*/*", status: 204,
			body: `{"status":"ready","billingPlan":{"id":"pro200","type":"subscription","name":"Pro","cost":"$20.00/month"},"notification":null}`,
		},
		{
			name: "FinalizeInstallation",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.FinalizeInstallation(ctx, testToken, testIcfg)
			},
			method: "POST", uri: inst + "/billing/finalize", accept: "*/*", status: 204,
		},
		{
			name: "SubmitPrepaymentBalances",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SubmitPrepaymentBalances(ctx, testToken, testIcfg, &PrepaymentBalances{
					Timestamp: mustTime(t, "2026-10-15T13:05:00Z"),
					Balances:  []Balance{{ResourceID: "db_7Hq2Lx", Credit: "2,000 Tokens", NameLabel: "Tokens", CurrencyValueInCents: 1250}},
				})
			},
			method: "POST", uri: inst + "/billing/balance", accept: "*/*", status: 201,
			body: `{"timestamp":"2026-10-15T13:05:00.000Z","balances":[{"resourceId":"db_7Hq2Lx","credit":"2,000 Tokens","nameLabel":"Tokens","currencyValueInCents":1250}]}`,
		},
		{
			name: "ImportResource",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ImportResource(ctx, testToken, testIcfg, "db_7Hq2Lx", &ImportResourceRequest{
					Ownership: OwnershipOwned, ProductID: "postgres", Name: "main-db", Status: StatusReady,
					Metadata: map[string]any{"region": "iad1"}, Secrets: []Secret{{Name: "DATABASE_URL", Value: "postgres://x"}},
				})
			},
			method: "PUT", uri: inst + "/resources/db_7Hq2Lx", accept: "application/json", status: 200, resp: `{"name":"main-db"}`,
			body: `{"ownership":"owned","productId":"postgres","name":"main-db","status":"ready","metadata":{"region":"iad1"},"secrets":[{"name":"DATABASE_URL","value":"postgres://x"}]}`,
			check: func(t *testing.T, got any) {
				if got.(*ResourceWriteResult).Name != "main-db" {
					t.Errorf("result = %+v", got)
				}
			},
		},
		{
			name: "UpdateResource",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateResource(ctx, testToken, testIcfg, "db_7Hq2Lx", &UpdateResourceRequest{
					Name:         "renamed",
					Notification: SetNotification(Notification{Level: LevelWarn, Title: "Disk almost full", Href: "sso:https://partner.example/db"}),
					Secrets:      &ResourceSecrets{Secrets: []Secret{{Name: "A", Value: "b"}}, Partial: new(true)},
				})
			},
			method: "PATCH", uri: inst + "/resources/db_7Hq2Lx", accept: "application/json", status: 200, resp: `{"name":"renamed"}`,
			body: `{"name":"renamed","notification":{"level":"warn","title":"Disk almost full","href":"sso:https://partner.example/db"},"secrets":{"secrets":[{"name":"A","value":"b"}],"partial":true}}`,
			check: func(t *testing.T, got any) {
				if got.(*ResourceWriteResult).Name != "renamed" {
					t.Errorf("result = %+v", got)
				}
			},
		},
		{
			name: "GetIntegrationResource",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetIntegrationResource(ctx, testToken, testIcfg, "db_7Hq2Lx")
			},
			method: "GET", uri: inst + "/resources/db_7Hq2Lx", accept: "application/json", status: 200,
			resp: `{"id":"db_7Hq2Lx","internalId":"store_abc","name":"main-db","productId":"postgres","status":"ready","metadata":{"region":"iad1"},` +
				`"protocolSettings":{"authentication":{"appUrls":[{"target":"production","url":"https://x.example"}]}},"someFutureField":1}`,
			check: func(t *testing.T, got any) {
				r := got.(*Resource)
				if r.ID != "db_7Hq2Lx" || r.InternalID != "store_abc" || r.Metadata["region"] != "iad1" ||
					r.ProtocolSettings.Authentication.AppURLs[0].URL != "https://x.example" {
					t.Errorf("resource = %+v", r)
				}
			},
		},
		{
			name: "GetIntegrationResources",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetIntegrationResources(ctx, testToken, testIcfg)
			},
			method: "GET", uri: inst + "/resources", accept: "application/json", status: 200,
			resp: `{"resources":[{"partnerId":"db_7Hq2Lx","internalId":"store_abc","name":"main-db","productId":"postgres"}]}`,
			check: func(t *testing.T, got any) {
				if rs := got.([]Resource); len(rs) != 1 || rs[0].PartnerID != "db_7Hq2Lx" || rs[0].Name != "main-db" {
					t.Errorf("resources = %+v", rs)
				}
			},
		},
		{
			name: "DeleteIntegrationResource",
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteIntegrationResource(ctx, testToken, testIcfg, "db_7Hq2Lx")
			},
			method: "DELETE", uri: inst + "/resources/db_7Hq2Lx", accept: "*/*", status: 204,
		},
	}
}

func TestOperationsSendExactRequests(t *testing.T) {
	t.Parallel()
	for _, op := range operations(t) {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, op.status, op.resp, map[string]string{"X-Vercel-Id": "fra1::abc"})
			got, err := op.call(t.Context(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != op.method || r.uri != op.uri {
				t.Errorf("request = %s %s, want %s %s", r.method, r.uri, op.method, op.uri)
			}
			if r.body != op.body {
				t.Errorf("body:\n got %s\nwant %s", r.body, op.body)
			}
			wantCT := ""
			if op.body != "" {
				wantCT = "application/json"
			}
			for h, want := range map[string]string{
				"Authorization": "Bearer " + testToken,
				"Content-Type":  wantCT,
				"Accept":        op.accept,
				"User-Agent":    "vercel-partner-server/1.2.3",
			} {
				if g := r.header.Get(h); g != want {
					t.Errorf("%s = %q, want %q", h, g, want)
				}
			}
			if op.check != nil {
				op.check(t, got)
			}
		})
	}
}

func TestOperationsReturnAPIError(t *testing.T) {
	t.Parallel()
	for _, op := range operations(t) {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			c, _ := setup(t, http.StatusNotFound, `{"error":{"code":"not_found","message":"Installation not found"}}`,
				map[string]string{"X-Vercel-Id": "fra1::req42"})
			_, err := op.call(t.Context(), c)
			ae, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if ae.StatusCode != 404 || ae.Code != "not_found" || ae.Message != "Installation not found" || ae.RequestID != "fra1::req42" ||
				ae.Method != op.method || !strings.Contains(string(ae.Body), "not_found") {
				t.Errorf("APIError = %+v", ae)
			}
			if msg := err.Error(); strings.Contains(msg, testToken) || !strings.Contains(msg, "404 not_found: Installation not found") ||
				!strings.Contains(msg, "fra1::req42") {
				t.Errorf("Error() = %q", msg)
			}
			if !IsFinal(err) || IsRetryable(err) {
				t.Errorf("404: IsFinal=%v IsRetryable=%v", IsFinal(err), IsRetryable(err))
			}
		})
	}
}

func TestAccountInfoNullContact(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, 200, `{"contact":null,"url":"https://vercel.com/acme"}`, nil)
	a, err := c.GetAccountInfo(t.Context(), testToken, testIcfg)
	if err != nil || a.Contact != nil || a.URL != "https://vercel.com/acme" {
		t.Fatalf("GetAccountInfo = %+v, %v", a, err)
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		status           int
		body             string
		header           map[string]string
		code, message    string
		retryAfter       time.Duration
		retryable, final bool
	}{
		{"vercel shape 429", 429, `{"error":{"code":"rate_limited","message":"slow down"},"limit":{"remaining":0,"reset":1,"resetMs":1000,"total":100}}`,
			map[string]string{"Retry-After": "7"}, "rate_limited", "slow down", 7 * time.Second, true, false},
		{"oauth shape", 400, `{"error":"invalid_grant","error_description":"code expired"}`, nil, "invalid_grant", "code expired", 0, false, true},
		{"not json 502", 502, `<html>bad gateway</html>`, map[string]string{"Content-Type": "text/html"}, "", "Bad Gateway", 0, true, false},
		{"empty 500", 500, ``, nil, "", "Internal Server Error", 0, true, false},
		{"retry-after-ms wins", 503, `{}`, map[string]string{"Retry-After": "9", "retry-after-ms": "1500"}, "", "Service Unavailable", 1500 * time.Millisecond, true, false},
		{"409", 409, `{"error":{"code":"conflict","message":"refund pending"}}`, nil, "conflict", "refund pending", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := setup(t, tt.status, tt.body, tt.header)
			err := c.FinalizeInstallation(t.Context(), testToken, testIcfg)
			ae, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("err = %v", err)
			}
			if ae.Code != tt.code || ae.Message != tt.message || ae.RetryAfter != tt.retryAfter || RetryAfter(err) != tt.retryAfter {
				t.Errorf("APIError = %+v", ae)
			}
			if IsRetryable(err) != tt.retryable || IsFinal(err) != tt.final {
				t.Errorf("IsRetryable=%v IsFinal=%v", IsRetryable(err), IsFinal(err))
			}
		})
	}
}

func TestErrorBodyIsCapped(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, 500, strings.Repeat("x", 200<<10), nil)
	_, err := c.GetAccountInfo(t.Context(), testToken, testIcfg)
	ae, ok := errors.AsType[*APIError](err)
	if !ok || len(ae.Body) != maxErrorBody {
		t.Fatalf("err = %T, body len %d", err, len(ae.Body))
	}
}

func TestPathParamsAreEscaped(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, 200, docMember, nil)
	if _, err := c.GetMember(t.Context(), testToken, "icfg/../x y", "m?e#m"); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.requests()[0].uri, "/v1/installations/icfg%2F..%2Fx%20y/member/m%3Fe%23m"; got != want {
		t.Errorf("uri = %s, want %s", got, want)
	}
}

func TestEmptySuccessBodies(t *testing.T) {
	t.Parallel()
	for _, status := range []int{201, 204} {
		c, _ := setup(t, status, "", nil)
		if err := c.CreateEvent(t.Context(), testToken, testIcfg, InstallationUpdated("")); err != nil {
			t.Errorf("%d: %v", status, err)
		}
	}
	// A body on a no-body success is ignored too.
	c, _ := setup(t, 201, `{"ok":true}`, nil)
	if err := c.SubmitBillingData(t.Context(), testToken, testIcfg, docBillingData(t)); err != nil {
		t.Errorf("201 with body: %v", err)
	}
	// A JSON operation with an empty 200 is an error, not a zero value.
	c, _ = setup(t, 200, "", nil)
	if _, err := c.GetMember(t.Context(), testToken, testIcfg, "m"); err == nil || IsRetryable(err) {
		t.Errorf("empty 200 for JSON: %v", err)
	}
}

func TestInvalidInputSendsNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(ctx context.Context, c *Client) error
		key  string
	}{
		{"empty token", func(ctx context.Context, c *Client) error { _, err := c.GetAccountInfo(ctx, "", testIcfg); return err }, "token"},
		{"token with newline", func(ctx context.Context, c *Client) error {
			_, err := c.GetAccountInfo(ctx, "a\nb", testIcfg)
			return err
		}, "token"},
		{"empty installation", func(ctx context.Context, c *Client) error { return c.FinalizeInstallation(ctx, testToken, "") }, "installationId"},
		{"empty member", func(ctx context.Context, c *Client) error {
			_, err := c.GetMember(ctx, testToken, testIcfg, "")
			return err
		}, "memberId"},
		{"resource event without resourceId", func(ctx context.Context, c *Client) error {
			return c.CreateEvent(ctx, testToken, testIcfg, &Event{Type: EventResourceUpdated})
		}, "event.resourceId"},
		{"nil event", func(ctx context.Context, c *Client) error { return c.CreateEvent(ctx, testToken, testIcfg, nil) }, "event"},
		{"bad refund total", func(ctx context.Context, c *Client) error {
			return c.RefundInvoice(ctx, testToken, testIcfg, "inv_1", "x", "12,50")
		}, "total"},
		{"nil billing", func(ctx context.Context, c *Client) error { return c.SubmitBillingData(ctx, testToken, testIcfg, nil) }, ""},
		{"secrets without name", func(ctx context.Context, c *Client) error {
			return c.UpdateResourceSecrets(ctx, testToken, testIcfg, "r", &SecretsUpdate{Secrets: []Secret{{Value: "v"}}})
		}, "secrets[0].name"},
		{"bad notification level", func(ctx context.Context, c *Client) error {
			return c.UpdateInstallation(ctx, testToken, testIcfg, &InstallationUpdate{Notification: SetNotification(Notification{Level: "warning", Title: "t"})})
		}, "notification.level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, 204, "", nil)
			err := tt.call(t.Context(), c)
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if ve.Fields[0].Key != tt.key {
				t.Errorf("fields = %+v, want key %q", ve.Fields, tt.key)
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("server saw %d requests", n)
			}
			if !IsFinal(err) || IsRetryable(err) {
				t.Errorf("IsFinal=%v IsRetryable=%v", IsFinal(err), IsRetryable(err))
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	c, err := NewClient("")
	if err != nil || c.BaseURL() != DefaultBaseURL || c.userAgent != "vercel-partner-server/dev" || c.retry != DefaultRetryPolicy() {
		t.Fatalf("NewClient(\"\") = %+v, %v", c, err)
	}
	tr, ok := c.HTTPClient().Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost < 2 || c.HTTPClient().Timeout == 0 {
		t.Errorf("default transport not tuned: %+v", c.HTTPClient())
	}
	c, err = NewClient("https://example.test/api/", WithUserAgent("custom/1"))
	if err != nil || c.BaseURL() != "https://example.test/api" || c.userAgent != "custom/1" {
		t.Errorf("NewClient = %+v, %v", c, err)
	}
	for _, bad := range []string{"ftp://x", "not a url", "/relative", "https://x?q=1"} {
		if _, err := NewClient(bad); err == nil {
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
	single := c.WithRetryPolicy(RetryPolicy{MaxAttempts: 1})
	if single == c || single.retry.MaxAttempts != 1 || c.retry != DefaultRetryPolicy() || single.httpClient != c.httpClient {
		t.Errorf("WithRetryPolicy did not return an independent shallow copy")
	}
}

func TestBearerPrefixNotDoubled(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, 204, "", nil)
	if err := c.FinalizeInstallation(t.Context(), "Bearer abc", testIcfg); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].header.Get("Authorization"); got != "Bearer abc" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestConnectionErrorIsRetryable(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	c, err := NewClient(url, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.FinalizeInstallation(t.Context(), testToken, testIcfg)
	if !IsRetryable(err) || IsFinal(err) || strings.Contains(err.Error(), testToken) {
		t.Errorf("err = %v: IsRetryable=%v IsFinal=%v", err, IsRetryable(err), IsFinal(err))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.FinalizeInstallation(ctx, testToken, testIcfg); IsRetryable(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, IsRetryable=%v", err, IsRetryable(err))
	}
}
