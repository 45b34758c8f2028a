package vercelsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// PartnerResponse is the partner's answer to a call the simulator made as
// Vercel.
type PartnerResponse struct {
	Status int
	Header http.Header
	Body   []byte         // the raw body
	JSON   map[string]any // Body decoded when it is a JSON object, else nil
}

// CallOption changes how a partner call is authenticated.
type CallOption func(*callConfig)

type callConfig struct {
	installationID string
	userID, role   string
	system         bool
	incomplete     bool // a system token with no installation or account
	bearer         *string
	idempotencyKey string
}

// AsUser signs the call with a user token for userID with role (ADMIN or
// USER) instead of the default admin.
func AsUser(userID, role string) CallOption {
	return func(c *callConfig) { c.userID, c.role, c.system, c.incomplete = userID, role, false, false }
}

// AsSystem signs the call with a system token for the installation and
// sends X-Vercel-Auth: system.
func AsSystem() CallOption {
	return func(c *callConfig) { c.system, c.incomplete = true, false }
}

// WithBearer sends token as the bearer as is; "" sends no Authorization.
func WithBearer(token string) CallOption {
	return func(c *callConfig) { c.bearer = &token }
}

// WithIdempotencyKey sets the Idempotency-Key header. By default every
// write carries a fresh random key and reads carry none.
func WithIdempotencyKey(key string) CallOption {
	return func(c *callConfig) { c.idempotencyKey = key }
}

// IncompleteSystemToken mints the system token Vercel may send before an
// installation exists: no sub, no account_id, installation_id null.
func (s *Sim) IncompleteSystemToken() string {
	now := s.now()
	return s.Sign(map[string]any{
		"iss":             s.url,
		"aud":             s.opts.ClientID,
		"installation_id": nil,
		"type":            "access_token",
		"iat":             now.Unix(),
		"exp":             now.Add(tokenLifetime).Unix(),
	})
}

// CallPartner sends one request to the partner as Vercel would: body nil
// sends none, []byte is sent raw, anything else as JSON. It is signed with
// an ADMIN user token of installationID unless opts say otherwise.
func (s *Sim) CallPartner(ctx context.Context, method, target, installationID string, body any, opts ...CallOption) (PartnerResponse, error) {
	c := callConfig{installationID: installationID, userID: DefaultAdminUserID, role: "ADMIN", incomplete: installationID == ""}
	for _, o := range opts {
		o(&c)
	}
	token, auth := s.callToken(c)
	key := c.idempotencyKey
	if key == "" && method != http.MethodGet && method != http.MethodHead {
		key = rand.Text()
	}
	resp, err := s.partnerRequest(ctx, method, target, body, token, auth, key)
	if err != nil {
		return PartnerResponse{}, fmt.Errorf("vercelsim: %s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return PartnerResponse{}, fmt.Errorf("vercelsim: %s %s: read answer: %w", method, target, err)
	}
	out := PartnerResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if m, err := decodeObject(raw); err == nil {
		out.JSON = m
	}
	return out, nil
}

// callToken returns the bearer and the X-Vercel-Auth value for c.
func (s *Sim) callToken(c callConfig) (token, auth string) {
	auth = "user"
	if c.system || c.incomplete {
		auth = "system"
	}
	switch {
	case c.bearer != nil:
		return *c.bearer, auth
	case c.incomplete:
		return s.IncompleteSystemToken(), auth
	case c.system:
		return s.SystemToken(c.installationID), auth
	}
	if c.userID == DefaultAdminUserID {
		s.ensureAdmin(c.installationID)
	}
	return s.UserToken(c.installationID, c.userID, c.role), auth
}

// partnerRequest sends one request; body is as CallPartner takes it.
func (s *Sim) partnerRequest(ctx context.Context, method, target string, body any, token, auth, key string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Vercel-Auth", auth)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.Header.Set("User-Agent", userAgent)
	return s.client.Do(req)
}

// ListProductPlans sends GET {partner}/v1/products/{productId}/plans, with
// ?metadata= when metadata is not "" (sent as given, so it may be bad
// JSON). An empty installationID signs with IncompleteSystemToken.
func (s *Sim) ListProductPlans(ctx context.Context, partnerBaseURL, installationID, productID, metadata string, opts ...CallOption) (PartnerResponse, error) {
	target := partnerBaseURL + "/v1/products/" + url.PathEscape(productID) + "/plans" + metadataQuery(metadata)
	return s.CallPartner(ctx, http.MethodGet, target, installationID, nil, opts...)
}

// ListInstallationPlans sends GET {partner}/v1/installations/{id}/plans.
func (s *Sim) ListInstallationPlans(ctx context.Context, partnerBaseURL, installationID string, opts ...CallOption) (PartnerResponse, error) {
	return s.CallPartner(ctx, http.MethodGet, installationURL(partnerBaseURL, installationID)+"/plans", installationID, nil, opts...)
}

// ListResourcePlans sends GET .../resources/{resourceId}/plans, with
// ?metadata= when metadata is not "".
func (s *Sim) ListResourcePlans(ctx context.Context, partnerBaseURL, installationID, resourceID, metadata string, opts ...CallOption) (PartnerResponse, error) {
	target := resourceURL(partnerBaseURL, installationID, resourceID) + "/plans" + metadataQuery(metadata)
	return s.CallPartner(ctx, http.MethodGet, target, installationID, nil, opts...)
}

// GetResource sends GET {partner}/v1/installations/{id}/resources/{rid}.
func (s *Sim) GetResource(ctx context.Context, partnerBaseURL, installationID, resourceID string, opts ...CallOption) (PartnerResponse, error) {
	return s.CallPartner(ctx, http.MethodGet, resourceURL(partnerBaseURL, installationID, resourceID), installationID, nil, opts...)
}

// UpdateResource sends PATCH .../resources/{rid} with body (name, metadata,
// billingPlanId...). On 200 Vercel's copy takes the answered name,
// status, metadata and plan.
func (s *Sim) UpdateResource(ctx context.Context, partnerBaseURL, installationID, resourceID string, body any, opts ...CallOption) (PartnerResponse, error) {
	resp, err := s.CallPartner(ctx, http.MethodPatch, resourceURL(partnerBaseURL, installationID, resourceID), installationID, body, opts...)
	if err == nil && resp.Status == http.StatusOK && resp.JSON != nil {
		s.mu.Lock()
		if res, ok := s.inst(installationID).resources[resourceID]; ok {
			applyPartnerResource(res, resp.JSON)
		}
		s.mu.Unlock()
	}
	return resp, err
}

// DeleteResource sends DELETE .../resources/{rid}; on 2xx Vercel forgets
// its copy.
func (s *Sim) DeleteResource(ctx context.Context, partnerBaseURL, installationID, resourceID string, opts ...CallOption) (PartnerResponse, error) {
	resp, err := s.CallPartner(ctx, http.MethodDelete, resourceURL(partnerBaseURL, installationID, resourceID), installationID, nil, opts...)
	if err == nil && resp.Status/100 == 2 {
		s.mu.Lock()
		delete(s.inst(installationID).resources, resourceID)
		s.mu.Unlock()
	}
	return resp, err
}

// RotateSecrets sends POST .../resources/{rid}/secrets/rotate with body
// ({reason?, delayOldSecretsExpirationHours?}; nil sends none). A
// synchronous answer ({"sync": true, "secrets", "partial"?}) updates the
// env vars Vercel holds for the resource.
func (s *Sim) RotateSecrets(ctx context.Context, partnerBaseURL, installationID, resourceID string, body any, opts ...CallOption) (PartnerResponse, error) {
	resp, err := s.CallPartner(ctx, http.MethodPost, resourceURL(partnerBaseURL, installationID, resourceID)+"/secrets/rotate", installationID, body, opts...)
	if err != nil || resp.Status != http.StatusOK || resp.JSON["sync"] != true {
		return resp, err
	}
	list, ok := resp.JSON["secrets"].([]any)
	if !ok {
		return resp, nil
	}
	partial, _ := resp.JSON["partial"].(bool)
	s.mu.Lock()
	if res, ok := s.inst(installationID).resources[resourceID]; ok {
		res.Secrets = mergeSecrets(res.Secrets, secretsFromJSON(list), partial)
	}
	s.mu.Unlock()
	return resp, nil
}

// ProvisionPurchase sends POST {partner}/v1/installations/{id}/billing/provision
// with {"invoiceId": invoiceID}.
func (s *Sim) ProvisionPurchase(ctx context.Context, partnerBaseURL, installationID, invoiceID string, opts ...CallOption) (PartnerResponse, error) {
	return s.CallPartner(ctx, http.MethodPost, installationURL(partnerBaseURL, installationID)+"/billing/provision",
		installationID, map[string]any{"invoiceId": invoiceID}, opts...)
}

// Provision sends POST {partner}/v1/installations/{id}/resources with body
// (productId, name, metadata, billingPlanId, externalId?). On 200/201 with
// an id, the resource and its secrets become Vercel's copy (see Secrets).
func (s *Sim) Provision(ctx context.Context, partnerBaseURL, installationID string, body any, opts ...CallOption) (PartnerResponse, error) {
	resp, err := s.CallPartner(ctx, http.MethodPost, installationURL(partnerBaseURL, installationID)+"/resources", installationID, body, opts...)
	if err != nil || (resp.Status != http.StatusOK && resp.Status != http.StatusCreated) {
		return resp, err
	}
	id, _ := resp.JSON["id"].(string)
	if id == "" {
		return resp, nil
	}
	res := Resource{}
	if m, ok := body.(map[string]any); ok {
		res.BillingPlanID, _ = m["billingPlanId"].(string)
	}
	applyPartnerResource(&res, resp.JSON)
	if secrets, ok := resp.JSON["secrets"].([]any); ok {
		res.Secrets = secretsFromJSON(secrets)
	}
	s.SetResource(installationID, id, res)
	return resp, nil
}

// applyPartnerResource copies the fields of a partner Resource answer
// that Vercel keeps; callers hold s.mu or own res.
func applyPartnerResource(res *Resource, out map[string]any) {
	if v, ok := out["productId"].(string); ok {
		res.ProductID = v
	}
	if v, ok := out["name"].(string); ok {
		res.Name = v
	}
	if v, ok := out["status"].(string); ok {
		res.Status = v
	}
	if v, ok := out["metadata"].(map[string]any); ok {
		res.Metadata = v
	}
	if plan, ok := out["billingPlan"].(map[string]any); ok {
		if id, ok := plan["id"].(string); ok {
			res.BillingPlanID = id
		}
	}
}

func resourceURL(base, installationID, resourceID string) string {
	return installationURL(base, installationID) + "/resources/" + url.PathEscape(resourceID)
}

func metadataQuery(metadata string) string {
	if metadata == "" {
		return ""
	}
	return "?metadata=" + url.QueryEscape(metadata)
}
