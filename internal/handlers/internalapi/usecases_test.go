package internalapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/credentials"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/handlers/internalapi"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/resources"
)

// fakes stands in for the use cases: it records what the handlers ask
// and answers err (nil: a delivered write).
type fakes struct {
	mu    sync.Mutex
	calls []string // "method key installation target"
	patch resources.Patch
	usage []lifecycle.UsageRecord
	err   error
}

func (f *fakes) record(call string, args ...string) deliveries.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.Join(append([]string{call}, args...), " "))
	return deliveries.Delivery{ID: "dlv_fake", Status: deliveries.StatusDelivered, ResultStatus: 200}
}

func (f *fakes) List(context.Context, string) ([]installations.Resource, error) { return nil, f.err }
func (f *fakes) Get(context.Context, string, string) (installations.Resource, error) {
	return installations.Resource{}, f.err
}

func (f *fakes) Change(_ context.Context, key, inst, rid string, p resources.Patch) (installations.Resource, deliveries.Delivery, error) {
	d := f.record("Change", key, inst, rid)
	f.patch = p
	if f.err != nil {
		return installations.Resource{}, deliveries.Delivery{}, f.err
	}
	return installations.Resource{ID: rid, Name: *p.Name}, d, nil
}

func (f *fakes) Suspend(_ context.Context, key, inst, rid string, _ ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	return installations.Resource{ID: rid, Status: "suspended"}, f.record("Suspend", key, inst, rid), f.err
}

func (f *fakes) Resume(_ context.Context, key, inst, rid string, _ ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	f.record("Resume", key, inst, rid)
	return installations.Resource{ID: rid, Status: "resumed"}, deliveries.Delivery{}, f.err // already as asked
}

func (f *fakes) SetInstallation(_ context.Context, key, inst string, n installations.Notification, _ ...deliveries.Local) (installations.Installation, deliveries.Delivery, error) {
	return installations.Installation{ID: inst, Notification: n.JSON()}, f.record("SetInstallation", key, inst, n.Level, n.Title), f.err
}

func (f *fakes) ClearInstallation(_ context.Context, key, inst string, _ ...deliveries.Local) (installations.Installation, deliveries.Delivery, error) {
	return installations.Installation{ID: inst}, f.record("ClearInstallation", key, inst), f.err
}

func (f *fakes) SetResource(_ context.Context, key, inst, rid string, n installations.Notification, _ ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	return installations.Resource{ID: rid, Notification: n.JSON()}, f.record("SetResource", key, inst, rid, n.Level), f.err
}

func (f *fakes) ClearResource(_ context.Context, key, inst, rid string, _ ...deliveries.Local) (installations.Resource, deliveries.Delivery, error) {
	return installations.Resource{ID: rid}, f.record("ClearResource", key, inst, rid), f.err
}

func (f *fakes) Rotate(_ context.Context, inst string) (credentials.Result, error) {
	f.record("Rotate", inst)
	return credentials.Result{InstallationID: inst, RotatedAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Revoked: true}, f.err
}

func (f *fakes) Import(_ context.Context, key, inst, rid string, in resources.Import) (installations.Resource, deliveries.Delivery, error) {
	d := f.record("Import", key, inst, rid, in.ProductID, *in.Ownership)
	if f.err != nil {
		return installations.Resource{}, deliveries.Delivery{}, f.err
	}
	return installations.Resource{ID: rid, Name: in.Name}, d, nil
}

func (f *fakes) Remove(_ context.Context, key, inst, rid string) (deliveries.Delivery, error) {
	return f.record("Remove", key, inst, rid), f.err
}

func (f *fakes) AddUsage(_ context.Context, inst string, records []lifecycle.UsageRecord) (int, int, error) {
	f.record("AddUsage", inst)
	f.usage = records
	return len(records), 1, f.err
}

func (f *fakes) OpenPeriod(context.Context, string) (billing.Statement, error) {
	return billing.Statement{}, f.err
}

func (f *fakes) Finalize(_ context.Context, key, inst string, _ ...deliveries.Local) (deliveries.Delivery, error) {
	return f.record("Finalize", key, inst), f.err
}

func (f *fakes) Refund(_ context.Context, key, inst, invoice, total, reason string, _ ...deliveries.Local) (deliveries.Delivery, error) {
	return f.record("Refund", key, inst, invoice, total, reason), f.err
}

// memKeys is an idempotency store in memory: every key is new.
type memKeys struct{}

func (memKeys) ClaimKey(context.Context, string, string, string, time.Time, time.Duration) (installations.Claim, error) {
	return installations.Claim{Owned: true}, nil
}
func (memKeys) CompleteKey(context.Context, string, string, string, installations.IdempotentResponse) error {
	return nil
}
func (memKeys) KeepAnswer(context.Context, installations.Tx, string, string, string, installations.IdempotentResponse) error {
	return nil
}
func (memKeys) ReleaseKey(context.Context, string, string, string) error { return nil }

// TestHandlersDecodeCallOnceAndEncode: the handlers hand the use case
// what the request says, the Idempotency-Key included, and answer what
// it returns; its errors keep their status.
func TestHandlersDecodeCallOnceAndEncode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, method, path, body string
		err                      error
		status                   int
		call                     string
		answer                   string
	}{
		{"a resource change", "PATCH", "/installations/icfg_f/resources/res_1", `{"name":"n","metadata":{"tier":"a"}}`, nil,
			200, "Change internal:icfg_f k1 icfg_f res_1", `"resource":{"id":"res_1"`},
		{"a change of a finalized installation", "PATCH", "/installations/icfg_f/resources/res_1", `{"name":"n"}`, installations.ErrFinalized,
			409, "Change internal:icfg_f k1 icfg_f res_1", `"code":"installation_finalized"`},
		{"a partner-created resource", "PUT", "/installations/icfg_f/resources/res_1",
			`{"productId":"db","name":"n","ownership":"linked","secrets":[{"name":"URL","value":"v"}]}`, nil,
			200, "Import internal:icfg_f k1 icfg_f res_1 db linked", `"resource":{"id":"res_1"`},
		{"a partner-created resource with an unknown key", "PUT", "/installations/icfg_f/resources/res_1",
			`{"productId":"db","name":"n","extra":1}`, nil, 400, "", `"key":"extra"`},
		{"a partner's deletion", "DELETE", "/installations/icfg_f/resources/res_1", ``, nil,
			200, "Remove internal:icfg_f k1 icfg_f res_1", `"id":"dlv_fake"`},
		{"usage", "POST", "/installations/icfg_f/usage", `{"records":[{"id":"u1","value":2},{"id":"u2","value":3.5}]}`, nil,
			200, "AddUsage icfg_f", `{"accepted":2,"new":1}`},
		{"a finalization", "POST", "/installations/icfg_f/finalize", ``, nil,
			200, "Finalize internal:icfg_f k1 icfg_f", `"id":"dlv_fake"`},
		{"a refund", "POST", "/installations/icfg_f/invoices/inv_1/refund", `{"total":"5.00","reason":"goodwill"}`, nil,
			200, "Refund internal:icfg_f k1 icfg_f inv_1 5.00 goodwill", `"id":"dlv_fake"`},
		{"an installation notification", "PUT", "/installations/icfg_f/notification", `{"level":"warn","title":"Disk almost full"}`, nil,
			200, "SetInstallation internal:icfg_f k1 icfg_f warn Disk almost full", `"notification":{"level":"warn","title":"Disk almost full"}`},
		{"an installation notification cleared", "DELETE", "/installations/icfg_f/notification", ``, nil,
			200, "ClearInstallation internal:icfg_f k1 icfg_f", `"notification":null`},
		{"a resource notification", "PUT", "/installations/icfg_f/resources/res_1/notification", `{"level":"info","title":"Hi","href":"https://p.example/x"}`, nil,
			200, "SetResource internal:icfg_f k1 icfg_f res_1 info", `"href":"https://p.example/x"`},
		{"a resource notification cleared", "DELETE", "/installations/icfg_f/resources/res_1/notification", ``, nil,
			200, "ClearResource internal:icfg_f k1 icfg_f res_1", `"notification":null`},
		{"a suspension", "POST", "/installations/icfg_f/resources/res_1/suspend", ``, nil,
			200, "Suspend internal:icfg_f k1 icfg_f res_1", `"status":"suspended"`},
		{"a resumption of a resource not suspended", "POST", "/installations/icfg_f/resources/res_1/resume", ``, nil,
			200, "Resume internal:icfg_f k1 icfg_f res_1", `"delivery":null`},
		{"a token rotation", "POST", "/installations/icfg_f/credentials/rotate", ``, nil,
			200, "Rotate icfg_f", `{"revoked":true,"rotatedAt":"2026-05-01T12:00:00Z"}`},
		{"a rotation already running", "POST", "/installations/icfg_f/credentials/rotate", ``,
			apperr.New(apperr.Conflict, "rotation_in_progress", "busy"), 409, "Rotate icfg_f", `"code":"rotation_in_progress"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fakes{err: tc.err}
			srv := httptest.NewServer(internalapi.New(internalapi.Deps{Tokens: []internalapi.Token{{Name: "t", Secret: "tok"}},
				Idempotency: &handlers.Idempotency{Store: memKeys{}}, Resources: f, Lifecycle: f, Notifications: f, Credentials: f}))
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer tok")
			req.Header.Set("Idempotency-Key", "k1")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.answer) {
				t.Errorf("%d %s, want %d with %s", res.StatusCode, body, tc.status, tc.answer)
			}
			if (tc.call == "" && len(f.calls) != 0) || (tc.call != "" && (len(f.calls) != 1 || f.calls[0] != tc.call)) {
				t.Errorf("calls %q, want exactly %q", f.calls, tc.call)
			}
		})
	}
}

// TestUsageAndPatchReachTheUseCaseAsSent: values are passed as written
// (never through a float), metadata as the JSON object sent.
func TestUsageAndPatchReachTheUseCaseAsSent(t *testing.T) {
	t.Parallel()
	f := &fakes{}
	srv := httptest.NewServer(internalapi.New(internalapi.Deps{Tokens: []internalapi.Token{{Name: "t", Secret: "tok"}},
		Idempotency: &handlers.Idempotency{Store: memKeys{}}, Resources: f, Lifecycle: f}))
	defer srv.Close()
	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	send("POST", "/installations/icfg_f/usage", `{"records":[{"id":"u1","value":0.1000000000000000055511151231257827}]}`)
	if len(f.usage) != 1 || string(f.usage[0].Value) != "0.1000000000000000055511151231257827" {
		t.Errorf("usage %+v", f.usage)
	}
	send("PATCH", "/installations/icfg_f/resources/res_1", `{"name":"n","metadata":{"tier":"a"}}`)
	var md map[string]string
	if json.Unmarshal(f.patch.Metadata, &md) != nil || md["tier"] != "a" || f.patch.Status != nil {
		t.Errorf("patch %+v (metadata %s)", f.patch, f.patch.Metadata)
	}
}
