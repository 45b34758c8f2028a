package provisioning

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// answering is a hook that checks the signature and answers body as is.
func answering(t *testing.T, body string) *Client {
	t.Helper()
	srv := hookServer(t, func(w http.ResponseWriter, _ Request) { io.WriteString(w, body) })
	c, err := New(srv.URL, testSecret, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func secretAnswer(name, value string) string {
	b, _ := json.Marshal(map[string]any{"secrets": []map[string]string{{"name": name, "value": value}}})
	return string(b)
}

func notificationAnswer(n string) string {
	return `{"secrets":[{"name":"DATABASE_URL","value":"v"}],"notification":` + n + `}`
}

// TestHostileAnswersAreFailures: nothing of an answer that breaks the
// hook rules is used; the error names the key, never a value.
func TestHostileAnswersAreFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		typ  string // default provision
		body string
		want string
	}{
		{"NUL in a value", "", secretAnswer("DATABASE_URL", "postgres://x\x00y"), "secrets[0].value"},
		{"a value of 900 KB", "", secretAnswer("DATABASE_URL", strings.Repeat("a", 900<<10)), "secrets[0].value"},
		{"a value of 64 KB and one byte", "", secretAnswer("DATABASE_URL", strings.Repeat("a", 64<<10+1)), "secrets[0].value"},
		{"an empty value", "", secretAnswer("DATABASE_URL", ""), "secrets[0].value"},
		{"a name with = and a newline", "", secretAnswer("A=B\nC D", "v"), "secrets[0].name"},
		{"a lower-case name", "", secretAnswer("database_url", "v"), "secrets[0].name"},
		{"a name starting with a digit", "", secretAnswer("1URL", "v"), "secrets[0].name"},
		{"no name", "", `{"secrets":[{"value":"v"}]}`, "secrets[0].name"},
		{"a name outside the product's secret_names", "", secretAnswer("AWS_SECRET_ACCESS_KEY", "v"), "secret_names"},
		{"a name twice", "", `{"secrets":[{"name":"DATABASE_URL","value":"a"},{"name":"DATABASE_URL","value":"b"}]}`, "given twice"},
		{"an unknown environment override", "", `{"secrets":[{"name":"DATABASE_URL","value":"a","environmentOverrides":{"staging":"b"}}]}`, "environmentOverrides"},
		{"NUL in an environment override", "", `{"secrets":[{"name":"DATABASE_URL","value":"a","environmentOverrides":{"preview":"b\u0000"}}]}`, "environmentOverrides.preview"},
		{"a lone surrogate in a value", "", `{"secrets":[{"name":"DATABASE_URL","value":"\udc00"}]}`, "secrets[0].value"},
		{"bytes that are not UTF-8", "", "{\"secrets\":[{\"name\":\"DATABASE_URL\",\"value\":\"\xff\"}]}", "UTF-8"},
		{"a javascript: href", "", notificationAnswer(`{"level":"info","title":"t","href":"javascript:alert(1)"}`), "notification.href"},
		{"an http: href", "", notificationAnswer(`{"level":"info","title":"t","href":"http://partner.example/db"}`), "notification.href"},
		{"an sso: href to javascript:", "", notificationAnswer(`{"level":"info","title":"t","href":"sso:javascript:alert(1)"}`), "notification.href"},
		{"an href with a newline", "", notificationAnswer(`{"level":"info","title":"t","href":"https://p.example/\n"}`), "notification.href"},
		{"an unknown level", "", notificationAnswer(`{"level":"panic","title":"t"}`), "notification.level"},
		{"a notification without a title", "", notificationAnswer(`{"level":"warn"}`), "notification.title"},
		{"a notification that is a string", "", notificationAnswer(`"disk full"`), "notification"},
		{"null", "", `null`, "not the expected JSON object"},
		{"an array", "", `[]`, "not the expected JSON object"},
		{"a string", "", `"ok"`, "not the expected JSON object"},
		{"a number", "", `42`, "not the expected JSON object"},
		{"an empty provision answer", "", ``, "not the expected JSON object"},
		{"no secrets", "", `{"status":"ready"}`, "secrets: required"},
		{"secrets that are not a list", "", `{"secrets":{"DATABASE_URL":"v"}}`, "not the expected JSON object"},
		{"an unknown status", "", `{"secrets":[],"status":"exploded"}`, "status"},
		{"an unknown status on update", TypeUpdate, `{"status":"exploded"}`, "status"},
		{"a rotation without secrets", TypeRotateSecrets, `{}`, "secrets: required"},
		{"a null update answer", TypeUpdate, `null`, "not the expected JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := Request{Type: tc.typ, InstallationID: "icfg_1", SecretNames: []string{"DATABASE_URL"}}
			if req.Type == "" {
				req.Type = TypeProvision
			}
			got, err := answering(t, tc.body).Call(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("answer %.80q: %+v, %v; want an error naming %q", tc.body, got, err, tc.want)
			}
			if strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "alert") {
				t.Errorf("the error carries the answer: %v", err)
			}
		})
	}
}

// TestGoodAnswersPassAsValidated: answers within the rules are taken, and
// a notification is passed on as validated, nothing more of it.
func TestGoodAnswersPassAsValidated(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, typ, body  string
		secrets          int
		status, notified string
	}{
		{"secrets, status and an sso: href", TypeProvision,
			`{"secrets":[{"name":"DATABASE_URL","value":"line1\nline2","environmentOverrides":{"preview":"p"}},{"name":"_TOKEN","value":"` +
				strings.Repeat("a", 64<<10) + `"}],"status":"pending","notification":{"level":"warn","title":"Almost ready",` +
				`"href":"sso:https://partner.example/db","extra":"<script>"},"unknown":1}`,
			2, "pending", `{"level":"warn","title":"Almost ready","href":"sso:https://partner.example/db"}`},
		{"an https href", TypeProvision, notificationAnswer(`{"level":"info","title":"t","message":"m","href":"https://partner.example/x"}`),
			1, "", `{"level":"info","title":"t","message":"m","href":"https://partner.example/x"}`},
		{"a null notification", TypeProvision, notificationAnswer(`null`), 1, "", ""},
		{"no secrets at all", TypeProvision, `{"secrets":[]}`, 0, "", ""},
		{"an empty deletion answer", TypeDelete, ``, 0, "", ""},
		{"an empty update answer", TypeUpdate, " \n", 0, "", ""},
		{"an empty answer to a suspension", "resource.suspend", "", 0, "", ""},
		{"a rotation's status is not looked at", TypeRotateSecrets, `{"secrets":[],"status":"rotated"}`, 0, "rotated", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			names := []string{"DATABASE_URL", "_TOKEN"}
			got, err := answering(t, tc.body).Call(context.Background(), Request{Type: tc.typ, InstallationID: "icfg_1", SecretNames: names})
			if err != nil || len(got.Secrets) != tc.secrets || got.Secrets == nil || got.Status != tc.status || string(got.Notification) != tc.notified {
				t.Fatalf("%+v %v; want %d secrets, status %q, notification %s", got, err, tc.secrets, tc.status, tc.notified)
			}
		})
	}
}

// TestRedirectIsAFailure: a 307 would re-send the signed body elsewhere
// and take that answer; the client follows no redirect.
func TestRedirectIsAFailure(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, secretAnswer("DATABASE_URL", "from-elsewhere"))
	}))
	defer other.Close()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		srv := httptest.NewServer(http.RedirectHandler(other.URL, status))
		c, err := New(srv.URL, testSecret, time.Second, &http.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Call(context.Background(), Request{Type: TypeProvision}); err == nil || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("%d: %+v %v, want a failure", status, got, err)
		}
		srv.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect's target was called %d times", n)
	}
}

// TestWebhookIDIsStablePerOperation: calls of one logical operation carry
// its webhook-id and the request's Idempotency-Key, so the hook can
// deduplicate; calls without one each get a new id.
func TestWebhookIDIsStablePerOperation(t *testing.T) {
	t.Parallel()
	ids := make(chan string, 4)
	keys := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(testSecret, r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var req struct{ IdempotencyKey *string }
		json.Unmarshal(body, &req)
		key := "<absent>"
		if req.IdempotencyKey != nil {
			key = *req.IdempotencyKey
		}
		ids <- r.Header.Get("webhook-id")
		keys <- key
		io.WriteString(w, `{"secrets":[]}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL, testSecret, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	same := Request{Type: TypeProvision, WebhookID: "msg_op1", IdempotencyKey: "vercel-key-1"}
	for _, req := range []Request{same, same, {Type: TypeProvision}, {Type: TypeProvision}} {
		if _, err := c.Call(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	got := []string{<-ids, <-ids, <-ids, <-ids}
	if got[0] != "msg_op1" || got[1] != "msg_op1" || got[2] == got[3] || !strings.HasPrefix(got[2], "msg_") {
		t.Errorf("webhook-ids %q: want msg_op1 twice, then two new ones", got)
	}
	if k := []string{<-keys, <-keys, <-keys, <-keys}; k[0] != "vercel-key-1" || k[1] != "vercel-key-1" || k[2] != "<absent>" {
		t.Errorf("idempotencyKey %q", k)
	}
}
