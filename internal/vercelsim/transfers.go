package vercelsim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// transferClaim is a transfer request the simulator made, as Vercel
// keeps it: which resources leave which installation.
type transferClaim struct {
	source      string
	resourceIDs []string
}

// CreateTransferRequest sends POST {partner}/v1/installations/{source}/resource-transfer-requests
// with {"resourceIds", "expiresAt"} (Unix milliseconds), as Vercel does
// when a deployment with resources is claimed. On 200 with a
// providerClaimId the simulator remembers the claim, so that an accept
// moves its copies of the resources.
func (s *Sim) CreateTransferRequest(ctx context.Context, partnerBaseURL, sourceID string, resourceIDs []string, expiresAt time.Time, opts ...CallOption) (PartnerResponse, error) {
	body := map[string]any{"resourceIds": resourceIDs, "expiresAt": expiresAt.UnixMilli()}
	resp, err := s.CallPartner(ctx, http.MethodPost, transfersURL(partnerBaseURL, sourceID), sourceID, body, opts...)
	if err != nil || resp.Status != http.StatusOK {
		return resp, err
	}
	if id, _ := resp.JSON["providerClaimId"].(string); id != "" {
		s.mu.Lock()
		if s.claims == nil {
			s.claims = map[string]transferClaim{}
		}
		s.claims[id] = transferClaim{source: sourceID, resourceIDs: resourceIDs}
		s.mu.Unlock()
	}
	return resp, nil
}

// VerifyTransferRequest sends GET .../resource-transfer-requests/{claimId}/verify
// for the target installation.
func (s *Sim) VerifyTransferRequest(ctx context.Context, partnerBaseURL, targetID, claimID string, opts ...CallOption) (PartnerResponse, error) {
	return s.CallPartner(ctx, http.MethodGet, transfersURL(partnerBaseURL, targetID)+"/"+url.PathEscape(claimID)+"/verify",
		targetID, nil, opts...)
}

// AcceptTransferRequest sends POST .../resource-transfer-requests/{claimId}/accept
// for the target installation, with {"targetInstallationId"}. On 204
// Vercel's copies of the claim's resources move to the target.
func (s *Sim) AcceptTransferRequest(ctx context.Context, partnerBaseURL, targetID, claimID string, opts ...CallOption) (PartnerResponse, error) {
	resp, err := s.CallPartner(ctx, http.MethodPost, transfersURL(partnerBaseURL, targetID)+"/"+url.PathEscape(claimID)+"/accept",
		targetID, map[string]any{"targetInstallationId": targetID}, opts...)
	if err != nil || resp.Status != http.StatusNoContent {
		return resp, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.claims[claimID]
	if !ok || c.source == targetID {
		return resp, nil
	}
	from, to := s.inst(c.source), s.inst(targetID)
	for _, id := range c.resourceIDs {
		if r, ok := from.resources[id]; ok {
			to.resources[id] = r
			delete(from.resources, id)
		}
	}
	delete(s.claims, claimID)
	return resp, nil
}

// Transfer runs Vercel's whole claim flow for resources of one
// installation: create the request as the source, verify and accept it
// as the target. It returns what happened, in a sentence.
func (s *Sim) Transfer(ctx context.Context, partnerBaseURL, sourceID, targetID string, resourceIDs []string) (string, error) {
	created, err := s.CreateTransferRequest(ctx, partnerBaseURL, sourceID, resourceIDs, s.now().Add(time.Hour))
	if err = answered("create the transfer request", created, err, http.StatusOK); err != nil {
		return "", err
	}
	claim, _ := created.JSON["providerClaimId"].(string)
	verified, err := s.VerifyTransferRequest(ctx, partnerBaseURL, targetID, claim)
	if err = answered("verify the transfer request", verified, err, http.StatusOK); err != nil {
		return "", err
	}
	accepted, err := s.AcceptTransferRequest(ctx, partnerBaseURL, targetID, claim)
	if err = answered("accept the transfer request", accepted, err, http.StatusNoContent); err != nil {
		return "", err
	}
	plan := ""
	if p, ok := verified.JSON["billingPlan"].(map[string]any); ok {
		plan = fmt.Sprintf(" on the %v plan", p["name"])
	}
	return fmt.Sprintf("claim %s created by %s, verified%s and accepted by %s", claim, sourceID, plan, targetID), nil
}

// answered turns a partner answer other than want into an error naming
// the step.
func answered(step string, resp PartnerResponse, err error, want int) error {
	switch {
	case err != nil:
		return fmt.Errorf("could not %s: %w", step, err)
	case resp.Status != want:
		return fmt.Errorf("could not %s: the partner answered %d %s%s", step, resp.Status,
			http.StatusText(resp.Status), why(resp.JSON))
	}
	return nil
}

func transfersURL(base, installationID string) string {
	return installationURL(base, installationID) + "/resource-transfer-requests"
}
