package vercelsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
)

// DefaultAdminUserID is the member who installs, plan-changes and
// uninstalls when the simulator acts as Vercel.
const DefaultAdminUserID = "0a11ce0000000001"

// userAgent identifies the simulator's requests to the partner.
const userAgent = "vercelsim/1 (Vercel Marketplace simulator)"

// Install does what Vercel does when a team installs the integration:
// PUT {partner}/v1/installations/{id} with an ADMIN user token and a fresh
// access token, which it registers for the marketplace API and returns.
// The token is registered before the call (the partner may call Vercel
// while answering) and the previous one is restored if the partner fails.
func (s *Sim) Install(ctx context.Context, partnerBaseURL, installationID string) (string, error) {
	accessToken := "vsim_" + rand.Text()
	body := map[string]any{
		"scopes":           []string{"read-write:integration-resource"},
		"acceptedPolicies": map[string]any{"toc": stamp(s.now())},
		"credentials":      map[string]any{"access_token": accessToken, "token_type": "Bearer"},
		"account": map[string]any{
			"name": "Acme", "url": "https://vercel.com/acme",
			"contact": map[string]any{"email": "ada@acme.dev", "name": "Ada Lovelace"},
		},
	}
	prev, _ := s.Installation(installationID)
	s.ensureAdmin(installationID)
	resp, err := s.InstallWith(ctx, partnerBaseURL, installationID, body, "")
	if err == nil {
		err = expectStatus(resp, http.StatusOK, http.StatusCreated, http.StatusNoContent)
	}
	if err != nil {
		s.mu.Lock()
		in := s.inst(installationID)
		in.AccessToken, in.OldTokens = prev.AccessToken, prev.OldTokens
		in.Finalized, in.PendingDeletion = prev.Finalized, prev.PendingDeletion
		s.mu.Unlock()
		return "", fmt.Errorf("vercelsim: install %s: %w", installationID, err)
	}
	drain(resp)
	return accessToken, nil
}

// InstallWith sends an Upsert Installation with any body and bearer token
// ("" = an ADMIN user token). When body carries credentials.access_token
// it is registered for the installation before the call. The caller closes
// the response body.
func (s *Sim) InstallWith(ctx context.Context, partnerBaseURL, installationID string, body map[string]any, token string) (*http.Response, error) {
	if creds, ok := body["credentials"].(map[string]any); ok {
		if at, ok := creds["access_token"].(string); ok && at != "" {
			s.RegisterInstallation(installationID, at)
		}
	}
	if token == "" {
		token = s.adminToken(installationID)
	}
	return s.callPartner(ctx, http.MethodPut, installationURL(partnerBaseURL, installationID), body, token)
}

// UpdateInstallationPlan sends PATCH {partner}/v1/installations/{id} with
// {"billingPlanId": ...}, as when a team changes its installation plan.
func (s *Sim) UpdateInstallationPlan(ctx context.Context, partnerBaseURL, installationID, billingPlanID string) error {
	resp, err := s.callPartner(ctx, http.MethodPatch, installationURL(partnerBaseURL, installationID),
		map[string]any{"billingPlanId": billingPlanID}, s.adminToken(installationID))
	if err == nil {
		err = expectStatus(resp, http.StatusOK, http.StatusNoContent)
	}
	if err != nil {
		return fmt.Errorf("vercelsim: update installation plan %s: %w", installationID, err)
	}
	drain(resp)
	return nil
}

// Uninstall sends DELETE {partner}/v1/installations/{id} and reports the
// partner's "finalized" answer (false for 204). The installation is pending
// deletion from then on (final invoices allowed); finalized: true kills its
// token as Vercel's final deletion would.
func (s *Sim) Uninstall(ctx context.Context, partnerBaseURL, installationID string) (bool, error) {
	s.SetPendingDeletion(installationID, true)
	resp, err := s.callPartner(ctx, http.MethodDelete, installationURL(partnerBaseURL, installationID),
		map[string]any{"cascadeResourceDeletion": true, "reason": "uninstalled in the simulator"}, s.adminToken(installationID))
	if err != nil {
		return false, fmt.Errorf("vercelsim: uninstall %s: %w", installationID, err)
	}
	defer resp.Body.Close()
	var out struct {
		Finalized bool `json:"finalized"`
	}
	switch resp.StatusCode {
	case http.StatusNoContent:
	case http.StatusOK:
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return false, fmt.Errorf("vercelsim: uninstall %s: decode answer: %w", installationID, err)
		}
	default:
		return false, fmt.Errorf("vercelsim: uninstall %s: %w", installationID, expectStatus(resp))
	}
	if out.Finalized {
		s.mu.Lock()
		s.inst(installationID).Finalized = true
		s.mu.Unlock()
	}
	return out.Finalized, nil
}

// ProvisionResource sends POST {partner}/v1/installations/{id}/resources
// with body (productId, name, metadata, billingPlanId...) and, on 200/201,
// records the returned resource (with its secrets) as known to Vercel.
// Provision is the same call without the status check.
func (s *Sim) ProvisionResource(ctx context.Context, partnerBaseURL, installationID string, body map[string]any) (map[string]any, error) {
	resp, err := s.Provision(ctx, partnerBaseURL, installationID, body)
	switch {
	case err != nil:
	case resp.Status != http.StatusOK && resp.Status != http.StatusCreated:
		err = fmt.Errorf("partner answered %d: %s", resp.Status, bytes.TrimSpace(resp.Body[:min(len(resp.Body), 2048)]))
	case resp.JSON == nil:
		err = errors.New("answer is not a JSON object")
	case resp.JSON["id"] == nil || resp.JSON["id"] == "":
		return resp.JSON, fmt.Errorf("vercelsim: provision in %s: answer has no id", installationID)
	}
	if err != nil {
		return nil, fmt.Errorf("vercelsim: provision in %s: %w", installationID, err)
	}
	return resp.JSON, nil
}

func secretsFromJSON(list []any) []Secret {
	var out []Secret
	for _, v := range list {
		b, _ := json.Marshal(v)
		var sec Secret
		if json.Unmarshal(b, &sec) == nil {
			out = append(out, sec)
		}
	}
	return out
}

func (s *Sim) ensureAdmin(installationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst(installationID)
	if _, ok := in.members[DefaultAdminUserID]; !ok {
		in.members[DefaultAdminUserID] = Member{ID: DefaultAdminUserID, Role: "ADMIN", GlobalUserID: hexID("global:" + DefaultAdminUserID), UserEmail: "ada@acme.dev"}
	}
}

func (s *Sim) adminToken(installationID string) string {
	s.ensureAdmin(installationID)
	return s.UserToken(installationID, DefaultAdminUserID, "ADMIN")
}

func installationURL(base, id string) string {
	return base + "/v1/installations/" + url.PathEscape(id)
}

// callPartner sends a user-authenticated, idempotency-keyed JSON request.
func (s *Sim) callPartner(ctx context.Context, method, target string, body any, token string) (*http.Response, error) {
	return s.partnerRequest(ctx, method, target, body, token, "user", rand.Text())
}

// expectStatus closes resp and returns an error unless its status is one
// of ok. With a wanted status it leaves the body open for the caller.
func expectStatus(resp *http.Response, ok ...int) error {
	if slices.Contains(ok, resp.StatusCode) {
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return fmt.Errorf("partner answered %d: %s", resp.StatusCode, bytes.TrimSpace(b))
}

// drain reads and closes a response body so the connection is reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}
