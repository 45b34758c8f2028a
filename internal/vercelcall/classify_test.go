package vercelcall_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

const (
	inst  = "icfg_classify"
	token = "tok_classify_0123456789"
)

// tokens is a token store with one installation; err, when set, is every
// read's answer.
type tokens struct{ err error }

func (t tokens) Token(_ context.Context, id string) (string, error) {
	if t.err != nil {
		return "", t.err
	}
	if id != inst {
		return "", apperr.NotFoundf("installation %s not found", id)
	}
	return token, nil
}

// vercel answers getInvoice for invoice "s<status>" with that status;
// "s429ra" adds Retry-After: 7, "slow" waits for the caller to give up,
// "garbled" is a 200 that is not JSON.
func vercel(t *testing.T, tls bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "wrong token", http.StatusTeapot)
			return
		}
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		switch id {
		case "slow":
			<-r.Context().Done()
			return
		case "garbled":
			w.Write([]byte("not json"))
			return
		case "s429ra":
			w.Header().Set("Retry-After", "7")
			id = "s429"
		}
		status, err := strconv.Atoi(strings.TrimPrefix(id, "s"))
		if err != nil {
			http.Error(w, "bad test invoice id", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"error":{"code":"test","message":"answered ` + id + `"}}`))
	})
	srv := httptest.NewUnstartedServer(h)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func caller(t *testing.T, baseURL string, tok tokens, opts ...vercelapi.Option) *vercelcall.Caller {
	c, err := vercelapi.NewClient(baseURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return vercelcall.New(c, tok, 2*time.Second).WithRetry(vercelapi.RetryPolicy{MaxAttempts: 1})
}

// want is a Class without its Detail, which is checked apart.
type want struct {
	kind          apperr.Kind
	code          string
	status        int
	retryable     bool
	persistent    bool
	tokenRejected bool
	tokenUnread   bool
	retryAfter    time.Duration
}

func TestClassify(t *testing.T) {
	t.Parallel()
	srv := vercel(t, false)
	tlsSrv := vercel(t, true)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	noDNS := vercelapi.WithHTTPClient(&http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}}})
	getInvoice := func(c *vercelcall.Caller, id string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := c.For(inst).GetInvoice(ctx, id); return err }
	}
	plain := caller(t, srv.URL, tokens{})
	refused := func(status int, kind apperr.Kind) want {
		return want{kind: kind, code: "vercel_rejected", status: status}
	}
	unavailable := want{kind: apperr.Unavailable, code: "vercel_unavailable", retryable: true}
	unreachable := want{kind: apperr.Unavailable, code: "vercel_unreachable", retryable: true}
	cases := []struct {
		name string
		call func(context.Context) error
		want want
	}{
		{"400 is the caller's mistake", nil, refused(400, apperr.Invalid)},
		{"401 means Vercel refused the token", nil, want{kind: apperr.Upstream, code: "installation_token_rejected", status: 401, tokenRejected: true}},
		{"403 means Vercel refused the token", nil, want{kind: apperr.Upstream, code: "installation_token_rejected", status: 403, tokenRejected: true}},
		{"404 is not found", nil, refused(404, apperr.NotFound)},
		{"409 is a conflict", nil, refused(409, apperr.Conflict)},
		{"410 is not found", nil, refused(410, apperr.NotFound)},
		{"412 is the caller's mistake", nil, refused(412, apperr.Invalid)},
		{"422 is refused on its meaning", nil, refused(422, apperr.Unprocessable)},
		{"429 is waited out", nil, with(unavailable, 429, false, 0)},
		{"429 with Retry-After carries the hint", getInvoice(plain, "s429ra"), with(unavailable, 429, false, 7*time.Second)},
		{"500 is retried but may not heal", nil, with(unavailable, 500, true, 0)},
		{"501 will not change: not retried", nil, want{kind: apperr.Unavailable, code: "vercel_unavailable", status: 501, persistent: true}},
		{"502 is waited out", nil, with(unavailable, 502, false, 0)},
		{"503 is waited out", nil, with(unavailable, 503, false, 0)},
		{"504 is waited out", nil, with(unavailable, 504, false, 0)},
		{"connection refused is waited out", getInvoice(caller(t, closed.URL, tokens{}), "s200"), unreachable},
		{"a DNS failure is waited out", getInvoice(caller(t, "http://vercel.invalid", tokens{}, noDNS), "s200"), unreachable},
		{"a TLS failure is waited out", getInvoice(caller(t, tlsSrv.URL, tokens{}), "s200"), unreachable},
		{"a late Vercel is waited out", getInvoice(caller(t, srv.URL, tokens{}).WithTimeout(50*time.Millisecond), "slow"),
			want{kind: apperr.Unavailable, code: "vercel_timeout", retryable: true}},
		{"a caller that gave up is not retried", func(ctx context.Context) error {
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			return getInvoice(plain, "s200")(ctx)
		}, want{kind: apperr.Unavailable, code: "vercel_unreachable"}},
		{"an answer that is not JSON is Vercel's fault", getInvoice(plain, "garbled"),
			want{kind: apperr.Upstream, code: "vercel_error"}},
		{"a token that could not be read is tried again", getInvoice(caller(t, srv.URL, tokens{err: errors.New("database is locked")}), "s200"),
			want{kind: apperr.Unavailable, code: "unavailable", retryable: true, tokenUnread: true}},
		{"an unknown installation is not found", func(ctx context.Context) error {
			_, err := plain.For("icfg_unknown").GetInvoice(ctx, "s200")
			return err
		}, want{kind: apperr.NotFound, code: "not_found", tokenUnread: true}},
		{"a finalized installation has no token", getInvoice(caller(t, srv.URL, tokens{err: apperr.New(apperr.Conflict, "no_token", "no token")}), "s200"),
			want{kind: apperr.Conflict, code: "no_token", tokenUnread: true}},
		{"a body Vercel would refuse is the caller's mistake", func(ctx context.Context) error {
			_, err := plain.For(inst).SubmitInvoice(ctx, &vercelapi.InvoiceRequest{})
			return err
		}, want{kind: apperr.Invalid, code: "validation_error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			call := tc.call
			if call == nil {
				call = getInvoice(plain, "s"+strconv.Itoa(tc.want.status))
			}
			err := call(t.Context())
			if err == nil {
				t.Fatal("the call succeeded")
			}
			c := vercelcall.Classify(err)
			got := want{kind: c.Kind, code: c.Code, status: c.Status, retryable: c.Retryable, persistent: c.Persistent,
				tokenRejected: c.TokenRejected, tokenUnread: c.TokenUnread, retryAfter: c.RetryAfter}
			if got != tc.want {
				t.Errorf("Classify(%v)\n got %+v\nwant %+v", err, got, tc.want)
			}
			if (c.Detail != nil) != (c.Status != 0) || c.Status != 0 && !strings.Contains(string(c.Detail), `"status":`+strconv.Itoa(c.Status)) {
				t.Errorf("detail %s for status %d", c.Detail, c.Status)
			}
			if ae, ok := errors.AsType[*apperr.Error](vercelcall.Error(err)); !ok || ae.Kind != c.Kind || ae.Code != c.Code {
				t.Errorf("Error(%v) = %v, want kind %v code %s", err, vercelcall.Error(err), c.Kind, c.Code)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(vercelcall.Error(err).Error(), token) {
				t.Errorf("error carries the token: %v", err)
			}
		})
	}
}

func with(w want, status int, persistent bool, retryAfter time.Duration) want {
	w.status, w.persistent, w.retryAfter = status, persistent, retryAfter
	return w
}

func TestClassifyNil(t *testing.T) {
	t.Parallel()
	if c := vercelcall.Classify(nil); c.Kind != apperr.Internal || c.Retryable || c.Status != 0 || c.Code != "" {
		t.Errorf("Classify(nil) = %+v, want the zero Class", c)
	}
	if err := vercelcall.Error(nil); err != nil {
		t.Errorf("Error(nil) = %v", err)
	}
}

// The calls carry the installation's token and its id; the surface never
// sees either.
func TestInstallationCallsUseItsToken(t *testing.T) {
	t.Parallel()
	srv := vercel(t, false)
	_, err := caller(t, srv.URL, tokens{}).For(inst).GetInvoice(t.Context(), "s204")
	if err == nil || !strings.Contains(err.Error(), "decoding") && !strings.Contains(err.Error(), "no body") {
		t.Fatalf("a 204 to getInvoice: %v, want the empty answer refused (the token was accepted)", err)
	}
	if c := vercelcall.Classify(err); c.Status != 0 || c.Kind != apperr.Upstream {
		t.Errorf("Classify = %+v", c)
	}
}
