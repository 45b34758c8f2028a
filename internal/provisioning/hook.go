// Package provisioning calls the partner's provisioning hook: a signed
// JSON request (Standard Webhooks) that creates, changes, deletes or
// rotates the secrets of a resource, answered with the resource's secrets.
package provisioning

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Request is the body we sign and POST to the hook.
type Request struct {
	Type                           string       `json:"type"`
	InstallationID                 string       `json:"installationId"`
	Resource                       any          `json:"resource"`
	Reason                         string       `json:"reason,omitempty"`
	DelayOldSecretsExpirationHours *json.Number `json:"delayOldSecretsExpirationHours,omitempty"`
	FromInstallationID             string       `json:"fromInstallationId,omitempty"`
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
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	return &Client{url: url, key: key, timeout: timeout, http: httpClient, now: time.Now}, nil
}

// Sign returns the webhook-signature value for one message.
func Sign(key []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Call sends req and waits up to the client's timeout for a 2xx answer.
// Errors never carry the answer's body: it may hold secrets.
func (c *Client) Call(ctx context.Context, req Request) (Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("provisioning: encode: %w", err)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Response{}, fmt.Errorf("provisioning: %w", err)
	}
	id, ts := "msg_"+rand.Text(), c.now().Unix()
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("webhook-id", id)
	hr.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	hr.Header.Set("webhook-signature", Sign(c.key, id, ts, body))
	resp, err := c.http.Do(hr)
	if err != nil {
		return Response{}, fmt.Errorf("provisioning: %s: hook unreachable: %w", req.Type, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	switch {
	case err != nil:
		return Response{}, fmt.Errorf("provisioning: %s: read answer: %w", req.Type, err)
	case resp.StatusCode/100 != 2:
		return Response{}, fmt.Errorf("provisioning: %s: hook answered %d", req.Type, resp.StatusCode)
	case len(raw) > MaxResponse:
		return Response{}, fmt.Errorf("provisioning: %s: answer larger than %d bytes", req.Type, MaxResponse)
	}
	return decode(req.Type, raw)
}

func decode(typ string, raw []byte) (Response, error) {
	var out Response
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return Response{}, fmt.Errorf("provisioning: %s: answer is not the expected JSON object", typ)
	}
	for i, s := range out.Secrets {
		if s.Name == "" {
			return Response{}, fmt.Errorf("provisioning: %s: secrets[%d] has no name", typ, i)
		}
	}
	return out, nil
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
