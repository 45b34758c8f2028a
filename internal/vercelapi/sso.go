package vercelapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const ssoTokenPath = "/v1/integrations/sso/token"

// SSOTokenRequest is the authorization-code exchange of "Open in Provider"
// SSO. Code is single-use; State is the state Vercel put on the redirect
// (echo it, do not check it).
type SSOTokenRequest struct {
	Code         string
	State        string
	ClientID     string // the integration's client ID, oac_...
	ClientSecret string
	RedirectURI  string // optional
}

// Validate checks that the required parameters are present.
func (r *SSOTokenRequest) Validate() error {
	if r == nil {
		return nilBody()
	}
	v := &validator{}
	v.required("code", r.Code)
	v.required("client_id", r.ClientID)
	v.required("client_secret", r.ClientSecret)
	return v.err()
}

// SSOToken is the exchange's answer. Only IDToken matters: verify it like a
// partner JWT and never store it. Vercel usually sends no access token.
// String and LogValue redact every token.
type SSOToken struct {
	IDToken      string
	AccessToken  string
	TokenType    string
	ExpiresIn    float64 // seconds; 0 when absent
	RefreshToken string
}

// String describes t without its secrets.
func (t SSOToken) String() string {
	return fmt.Sprintf("SSOToken{IDToken:[redacted], TokenType:%q, ExpiresIn:%v}", t.TokenType, t.ExpiresIn)
}

// GoString keeps the tokens out of %#v.
func (t SSOToken) GoString() string { return t.String() }

// LogValue keeps the tokens out of slog output.
func (t SSOToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id_token", "[redacted]"), slog.String("token_type", t.TokenType))
}

// ssoResponse is parsed leniently: access_token and token_type may be null
// or missing, expires_in a number.
type ssoResponse struct {
	IDToken      string   `json:"id_token"`
	AccessToken  *string  `json:"access_token"`
	TokenType    *string  `json:"token_type"`
	ExpiresIn    *float64 `json:"expires_in"`
	RefreshToken *string  `json:"refresh_token"`
}

// ExchangeSSOToken exchanges an SSO authorization code for Vercel's
// id_token (grant_type=authorization_code, client credentials in the form
// body, no Authorization header). A code is single-use, so the exchange is
// never retried once Vercel has answered; only a failure to connect is
// retried. Errors never contain the code, the client secret or a token: a
// refusal is an *APIError carrying the code and message of either Vercel's
// {"error":{"code","message"}} or OAuth's {"error","error_description"}.
//
// POST /v1/integrations/sso/token
func (c *Client) ExchangeSSOToken(ctx context.Context, req *SSOTokenRequest) (*SSOToken, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	cfg := &oauth2.Config{
		ClientID:     req.ClientID,
		ClientSecret: req.ClientSecret,
		RedirectURL:  req.RedirectURI,
		Endpoint:     oauth2.Endpoint{TokenURL: c.baseURL + ssoTokenPath, AuthStyle: oauth2.AuthStyleInParams},
	}
	var opts []oauth2.AuthCodeOption
	if req.State != "" {
		opts = append(opts, oauth2.SetAuthURLParam("state", req.State))
	}
	var tok *SSOToken
	err := c.retry.run(ctx, func() error {
		capture := &captureTransport{base: c.httpClient.Transport, userAgent: c.userAgent}
		if capture.base == nil {
			capture.base = http.DefaultTransport
		}
		hc := &http.Client{Transport: capture, Timeout: c.httpClient.Timeout}
		_, err := cfg.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), req.Code, opts...)
		var rerr error
		tok, rerr = ssoResult(capture, err, req)
		return rerr
	}, func(err error) bool {
		te, ok := errors.AsType[*TransportError](err)
		return ok && isDialError(te.Err)
	})
	if err != nil {
		return nil, err
	}
	return tok, nil
}

// ssoResult turns what the exchange saw into a token or a redacted error.
// oauth2's own result is only used to tell "no answer" from "answered":
// Vercel's answer is read from the captured response, because oauth2
// refuses a response whose access_token is null.
func ssoResult(capture *captureTransport, exchangeErr error, req *SSOTokenRequest) (*SSOToken, error) {
	if !capture.answered {
		if exchangeErr == nil {
			exchangeErr = errors.New("no response")
		}
		return nil, &TransportError{Method: http.MethodPost, Path: ssoTokenPath, Err: unwrapURLError(exchangeErr)}
	}
	_, oauthRefused := errors.AsType[*oauth2.RetrieveError](exchangeErr)
	if capture.status < 200 || capture.status > 299 || oauthRefused {
		e := &APIError{
			Method:     http.MethodPost,
			Path:       ssoTokenPath,
			StatusCode: capture.status,
			RequestID:  capture.header.Get("X-Vercel-Id"),
			RetryAfter: parseRetryAfter(capture.header, time.Now()),
			Body:       capture.body[:min(len(capture.body), maxErrorBody)],
		}
		e.Code, e.Message = parseErrorBody(capture.body)
		secrets := []string{req.Code, req.ClientSecret}
		e.Code = redact(e.Code, secrets)
		e.Message = redact(e.Message, secrets)
		e.Body = []byte(redact(string(e.Body), secrets))
		if e.Code == "" && e.Message == "" {
			e.Message = http.StatusText(e.StatusCode)
		}
		return nil, e
	}
	var r ssoResponse
	if err := json.Unmarshal(capture.body, &r); err != nil {
		return nil, fmt.Errorf("vercelapi: POST %s: decoding %d response: %w", ssoTokenPath, capture.status, err)
	}
	if r.IDToken == "" {
		return nil, fmt.Errorf("vercelapi: POST %s: response has no id_token", ssoTokenPath)
	}
	t := &SSOToken{IDToken: r.IDToken}
	if r.AccessToken != nil {
		t.AccessToken = *r.AccessToken
	}
	if r.TokenType != nil {
		t.TokenType = *r.TokenType
	}
	if r.ExpiresIn != nil {
		t.ExpiresIn = *r.ExpiresIn
	}
	if r.RefreshToken != nil {
		t.RefreshToken = *r.RefreshToken
	}
	return t, nil
}

// redact replaces every occurrence of the secrets in s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// captureTransport records Vercel's answer to the token request, adds our
// User-Agent and Accept headers, and hands oauth2 a re-readable body.
type captureTransport struct {
	base      http.RoundTripper
	userAgent string

	answered bool
	status   int
	header   http.Header
	body     []byte
}

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.answered = true
	t.status, t.header = resp.StatusCode, resp.Header
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	closeBody(resp.Body)
	if err != nil {
		return nil, err
	}
	t.body = body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
