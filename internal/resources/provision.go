package resources

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Provision is Vercel's Provision Resource request.
type Provision struct {
	ProductID     string          `json:"productId"`
	Name          string          `json:"name"`
	Metadata      json.RawMessage `json:"metadata"`
	BillingPlanID string          `json:"billingPlanId"`
	ExternalID    string          `json:"externalId"`
	// ProtocolSettings is kept as sent and served back.
	ProtocolSettings json.RawMessage `json:"protocolSettings"`
}

// Provision creates a resource of a live installation: through the hook,
// whose secrets are passed on and never stored in the clear, and only then
// our row; or, in feed mode, a pending row and the request on the event
// feed. The row commits with the request's answer (key.Keep). Under a key
// the resource's id comes from the key's claim, so a retry after a crash
// names the same resource and never makes a second one.
func (s *Service) Provision(ctx context.Context, key installations.KeyClaim, installationID string, req Provision) (Provisioned, error) {
	if err := s.live(ctx, installationID); err != nil {
		return Provisioned{}, err
	}
	res, err := s.validateProvision(installationID, req)
	if err != nil {
		return Provisioned{}, err
	}
	res.ID = "res_" + cmp.Or(key.Ref, rand.Text())
	res.Status = vercelapi.StatusPending
	out, err := s.mode.provision(ctx, key, res, req.ExternalID)
	if err != nil {
		return Provisioned{}, err
	}
	s.Log.InfoContext(ctx, "resource provisioned", "installation_id", installationID, "resource_id", res.ID,
		"product_id", res.ProductID, "status", out.Resource.Status)
	return out, nil
}

// validateProvision checks every field and names each bad one; it returns
// the resource to create, still without its id.
func (s *Service) validateProvision(inst string, req Provision) (installations.Resource, error) {
	var fields []apperr.Field
	bad := func(key, msg string) { fields = append(fields, apperr.Field{Key: key, Message: msg}) }
	res := installations.Resource{InstallationID: inst, ProductID: req.ProductID, BillingPlanID: req.BillingPlanID}
	name, err := installations.ResourceName(req.Name)
	if err != nil {
		fields = append(fields, fieldsOf(err)...)
	}
	res.Name = name
	if ps, field := checkProtocolSettings(req.ProtocolSettings); field != nil {
		fields = append(fields, *field)
	} else {
		res.ProtocolSettings = ps
	}
	product, ok := s.Catalog.Product(req.ProductID)
	switch {
	case req.ProductID == "":
		bad("productId", "required")
	case !ok:
		bad("productId", "no such product")
	default:
		if msg := s.planProblem(product.ID, req.BillingPlanID, "", inst); msg != "" {
			bad("billingPlanId", msg)
		}
		md, mdFields := checkMetadata(product, req.Metadata)
		res.Metadata = md
		fields = append(fields, mdFields...)
	}
	if len(fields) > 0 {
		return res, apperr.InvalidFields("Input has failed validation", fields...)
	}
	return res, nil
}

// planProblem says why planID may not be chosen for a resource of the
// product ("" when it may); current is the plan the resource is on, which
// may stay even once disabled.
func (s *Service) planProblem(productID, planID, current, inst string) string {
	if planID == "" {
		return "required"
	}
	plan, ok := s.Catalog.PlanFor(productID, planID, inst)
	switch {
	case !ok:
		return "no such plan for this product"
	case plan.Disabled && planID != current:
		return "this plan is not available"
	}
	return ""
}

// checkMetadata fills the schema's defaults and validates the result.
func checkMetadata(p installations.Product, raw json.RawMessage) (json.RawMessage, []apperr.Field) {
	md, err := p.ApplyDefaults(raw)
	if err != nil {
		return nil, []apperr.Field{{Key: "metadata", Message: "must be a JSON object"}}
	}
	return md, p.ValidateMetadata(md)
}

// maxProtocolSettings bounds a resource's protocolSettings.
const maxProtocolSettings = 8 << 10

// checkProtocolSettings accepts Vercel's protocolSettings as any JSON
// object up to 8 KB (its shape grows; we only keep and serve it back),
// compacted; null or absent is none.
func checkProtocolSettings(raw json.RawMessage) (json.RawMessage, *apperr.Field) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	bad := &apperr.Field{Key: "protocolSettings", Message: "must be a JSON object of at most 8 KB"}
	var obj map[string]any
	if len(raw) > maxProtocolSettings || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, bad
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return nil, bad
	}
	return buf.Bytes(), nil
}

func fieldsOf(err error) []apperr.Field {
	if e, ok := errors.AsType[*apperr.Error](err); ok && len(e.Fields) > 0 {
		return e.Fields
	}
	return []apperr.Field{{Key: "body", Message: err.Error()}}
}
