// Package provisioning calls the partner's provisioning hook: a signed
// JSON request (Standard Webhooks) that creates, changes, deletes or
// rotates the secrets of a resource, answered with the resource's secrets.
package provisioning

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Types of hook requests.
const (
	TypeProvision     = "resource.provision"
	TypeUpdate        = "resource.update"
	TypeDelete        = "resource.delete"
	TypeRotateSecrets = "resource.rotate_secrets"
	// TypeTransfer tells, after the fact, that a resource moved to
	// InstallationID from FromInstallationID.
	TypeTransfer = "resource.transfer"
)

// MaxResponse bounds the hook's answer.
const MaxResponse = 1 << 20

// errRedirect: a redirect would re-send the signed body elsewhere.
var errRedirect = errors.New("redirects are not followed")

// Request is the body we sign and POST to the hook.
type Request struct {
	Type                           string       `json:"type"`
	InstallationID                 string       `json:"installationId"`
	Resource                       any          `json:"resource"`
	Reason                         string       `json:"reason,omitempty"`
	DelayOldSecretsExpirationHours *json.Number `json:"delayOldSecretsExpirationHours,omitempty"`
	FromInstallationID             string       `json:"fromInstallationId,omitempty"`
	// IdempotencyKey is the key Vercel sent with the request this call
	// serves, if any.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`

	// WebhookID names the logical operation: the same for every call of
	// it (a provision retried after a crash keeps its id), so the hook can
	// deduplicate; "" sends a new one.
	WebhookID string `json:"-"`
	// SecretNames are the product's secret_names: when given, every
	// secret the hook answers must be one of them.
	SecretNames []string `json:"-"`
}

// Secret is one secret the hook answers; values are passed on, never kept.
type Secret struct {
	Name                 string            `json:"name"`
	Value                string            `json:"value"`
	Prefix               string            `json:"prefix,omitempty"`
	EnvironmentOverrides map[string]string `json:"environmentOverrides,omitempty"`
}

// Response is the hook's answer.
type Response struct {
	Secrets      []Secret        `json:"secrets"`
	Status       string          `json:"status,omitempty"`
	Notification json.RawMessage `json:"notification,omitempty"`
}

// Client calls one hook.
type Client struct {
	url     string
	key     []byte
	timeout time.Duration
	http    *http.Client
	now     func() time.Time
}

// New returns a client for url signed with secret ("whsec_" + base64);
// timeout bounds each call; httpClient nil uses a plain client.
func New(url, secret string, timeout time.Duration, httpClient *http.Client) (*Client, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if !ok || err != nil || len(key) == 0 {
		return nil, errors.New("provisioning: the hook secret must be whsec_ followed by base64")
	}
	hc := &http.Client{}
	if httpClient != nil {
		*hc = *httpClient
	}
	// A redirect is a failure: its answer is never taken.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{url: url, key: key, timeout: timeout, http: hc, now: time.Now}, nil
}

// Sign returns the webhook-signature value for one message.
func Sign(key []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Call sends req and waits up to the client's timeout for a 2xx answer,
// which must pass every rule of Check before anything of it is used. A
// redirect is a failure. Errors never carry the answer's body: it may
// hold secrets.
func (c *Client) Call(ctx context.Context, req Request) (Response, error) {
	raw, err := c.post(ctx, req)
	if err != nil {
		return Response{}, err
	}
	out, err := Check(req, raw)
	if err != nil {
		return Response{}, fmt.Errorf("provisioning: %s: %w", req.Type, err)
	}
	return out, nil
}

// post signs and sends req under its WebhookID and returns the body of a
// 2xx answer.
func (c *Client) post(ctx context.Context, req Request) ([]byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("provisioning: encode: %w", err)
	}
	return c.Send(ctx, req.WebhookID, req.Type, body)
}

// Verify checks a hook request's signature headers against secret
// ("whsec_" + base64), as a hook receiving our calls does.
func Verify(secret string, h http.Header, body []byte) error {
	raw, _ := strings.CutPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return errors.New("provisioning: bad secret")
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || h.Get("webhook-id") == "" {
		return errors.New("provisioning: missing webhook-id or webhook-timestamp")
	}
	want := Sign(key, h.Get("webhook-id"), ts, body)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("provisioning: signature does not match")
}
