// Package vercelapi is the partner server's client for Vercel's REST API:
// the Marketplace calls a partner makes with an installation's access token
// (account and member reads, events, billing data, invoices, secrets,
// resources) and the SSO code exchange.
//
// It follows go-github's shape: NewClient with options, one file per API
// area, typed request and response values, a typed *APIError, and every
// method documented with its METHOD /path. The installation token is always
// an explicit argument. Request bodies are validated before anything is sent
// (a *ValidationError names the offending JSON key), and retryable failures
// (429, 5xx, connection errors) are retried inside the call according to the
// client's RetryPolicy, honouring Vercel's retry-after-ms and Retry-After.
package vercelapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// DefaultBaseURL is Vercel's REST API, the SDK's only server.
	DefaultBaseURL = "https://api.vercel.com"
	// DefaultVersion is the version reported in the User-Agent when
	// WithVersion is not used.
	DefaultVersion = "dev"

	maxErrorBody   = 64 << 10 // error bodies kept in APIError.Body
	maxSuccessBody = 16 << 20 // JSON success bodies decoded at most
)

// Client calls Vercel's REST API. It is safe for concurrent use.
type Client struct {
	baseURL    string // no trailing slash
	httpClient *http.Client
	userAgent  string
	version    string
	retry      RetryPolicy
}

// Option configures a Client in NewClient.
type Option func(*Client) error

// WithHTTPClient replaces the client's own tuned *http.Client (tests use it
// to plug in an in-memory transport).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("vercelapi: nil http client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithUserAgent replaces the whole User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if ua == "" {
			return errors.New("vercelapi: empty user agent")
		}
		c.userAgent = ua
		return nil
	}
}

// WithVersion sets the version in the default User-Agent
// "vercel-partner-server/<version>".
func WithVersion(v string) Option {
	return func(c *Client) error {
		c.version = v
		return nil
	}
}

// WithRetryPolicy sets how failed calls are retried inside one method call.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) error {
		c.retry = p
		return nil
	}
}

// NewClient returns a client for the API at baseURL (DefaultBaseURL when
// empty), e.g. "https://api.vercel.com" or a simulator's URL.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("vercelapi: base URL %q must be an absolute http(s) URL", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("vercelapi: base URL %q must not have a query or fragment", baseURL)
	}
	c := &Client{
		baseURL: strings.TrimRight(u.String(), "/"),
		version: DefaultVersion,
		retry:   DefaultRetryPolicy(),
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.httpClient == nil {
		c.httpClient = newHTTPClient()
	}
	if c.userAgent == "" {
		c.userAgent = "vercel-partner-server/" + c.version
	}
	return c, nil
}

// newHTTPClient is the client's own *http.Client: bounded timeouts and a
// connection pool sized for many calls to one host.
func newHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// WithRetryPolicy returns a shallow copy of c that retries according to p,
// e.g. RetryPolicy{MaxAttempts: 1} for a caller that schedules retries itself.
func (c *Client) WithRetryPolicy(p RetryPolicy) *Client {
	c2 := *c
	c2.retry = p
	return &c2
}

// BaseURL returns the API base URL the client calls.
func (c *Client) BaseURL() string { return c.baseURL }

// HTTPClient returns the *http.Client the client sends requests with.
func (c *Client) HTTPClient() *http.Client { return c.httpClient }

// request is one API call, re-sendable on retry: the body is marshalled once.
type request struct {
	method string
	path   string // escaped, starting with "/"
	token  string
	body   []byte // nil: no body
	out    any    // nil: the response has no body (201/204)
}

// newRequest marshals body (nil for none) into a re-sendable request.
func newRequest(method, path, token string, body, out any) (*request, error) {
	r := &request{method: method, path: path, token: token, out: out}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("vercelapi: encoding %s %s body: %w", method, path, err)
		}
		r.body = b
	}
	return r, nil
}

// do sends r, retrying retryable failures per the client's policy.
func (c *Client) do(ctx context.Context, r *request) error {
	return c.retry.run(ctx, func() error { return c.send(ctx, r) }, IsRetryable)
}

// send makes one attempt.
func (c *Client) send(ctx context.Context, r *request) error {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.baseURL+r.path, body)
	if err != nil {
		return fmt.Errorf("vercelapi: %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Authorization", bearer(r.token))
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.out != nil {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", "*/*")
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return &TransportError{Method: r.method, Path: r.path, Err: unwrapURLError(err)}
	}
	defer closeBody(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(r.method, r.path, resp)
	}
	if r.out == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSuccessBody))
	if err != nil {
		return &TransportError{Method: r.method, Path: r.path, Err: err}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("vercelapi: %s %s: %d response has no body", r.method, r.path, resp.StatusCode)
	}
	if err := json.Unmarshal(data, r.out); err != nil {
		return fmt.Errorf("vercelapi: %s %s: decoding %d response: %w", r.method, r.path, resp.StatusCode, err)
	}
	return nil
}

// validatable is a request body that can check itself before sending.
type validatable interface{ Validate() error }

// callJSON validates and sends a call whose answer is a JSON T.
func callJSON[T any](ctx context.Context, c *Client, method, token, path string, params []string, body validatable) (*T, error) {
	if err := checkCall(token, params, body); err != nil {
		return nil, err
	}
	var b any
	if body != nil {
		b = body
	}
	out := new(T)
	r, err := newRequest(method, path, token, b, out)
	if err != nil {
		return nil, err
	}
	if err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return out, nil
}

// bearer builds the Authorization value, accepting a token that already
// carries the scheme (as the SDK does).
func bearer(token string) string {
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		return "Bearer " + token[7:]
	}
	return "Bearer " + token
}

// closeBody drains a little of the body so the connection can be reused.
func closeBody(b io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(b, maxErrorBody))
	_ = b.Close()
}

// unwrapURLError drops *url.Error's wrapper (method and full URL) while
// keeping the cause, so messages stay short; the path is reported separately.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// pathf builds an API path, percent-encoding every parameter.
func pathf(format string, params ...string) string {
	args := make([]any, len(params))
	for i, p := range params {
		args[i] = url.PathEscape(p)
	}
	return fmt.Sprintf(format, args...)
}

// checkCall validates the token and path parameters (name/value pairs)
// common to every installation-scoped method, plus the body, if any.
func checkCall(token string, params []string, body interface{ Validate() error }) error {
	v := &validator{}
	if strings.TrimSpace(token) == "" {
		v.add("token", "required")
	} else if strings.ContainsFunc(token, func(r rune) bool { return r < 0x21 && r != ' ' || r == 0x7f }) {
		v.add("token", "must not contain control characters")
	}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] == "" {
			v.add(params[i], "required")
		}
	}
	if body != nil {
		if err := body.Validate(); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				return err
			}
			v.fields = append(v.fields, ve.Fields...)
		}
	}
	return v.err()
}
