package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Bounds of a partner-created resource's secrets.
const (
	MaxImportSecrets  = 100
	MaxSecretValueLen = 64 << 10
)

// secretName is what an environment variable a resource provides may be
// called.
var secretName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Import is a resource the partner created on its side (a database its
// user already had), as its service describes it. Nil fields keep what
// our copy has (for a new resource: no plan, ready, owned, no metadata).
type Import struct {
	ProductID     string
	Name          string
	BillingPlanID *string
	Metadata      json.RawMessage
	Status        *string
	Ownership     *string
	// Secrets go to Vercel sealed in the delivery, and are never kept.
	Secrets []vercelapi.Secret
}

// Import creates or updates our copy of a resource the partner created
// and, in the same transaction, queues importResource, which Vercel
// upserts. Every field is checked the way provisioning checks Vercel's
// (400 naming each bad one); a resource of another product is a
// conflict. key is the request's Idempotency-Key, if any.
func (s *Service) Import(ctx context.Context, key, installationID, resourceID string, in Import) (installations.Resource, deliveries.Delivery, error) {
	if err := s.live(ctx, installationID); err != nil {
		return installations.Resource{}, deliveries.Delivery{}, err
	}
	cur, err := s.Resources.GetResource(ctx, installationID, resourceID)
	exists := err == nil
	if err != nil && apperr.KindOf(err) != apperr.NotFound {
		return installations.Resource{}, deliveries.Delivery{}, err
	}
	if exists && cur.ProductID != in.ProductID && in.ProductID != "" {
		return installations.Resource{}, deliveries.Delivery{}, apperr.New(apperr.Conflict, "product_mismatch",
			fmt.Sprintf("resource %s is a resource of product %s", resourceID, cur.ProductID))
	}
	next, err := s.checkImport(cur, exists, installationID, resourceID, in)
	if err != nil {
		return installations.Resource{}, deliveries.Delivery{}, err
	}
	w := deliveries.ImportResource(installationID, resourceID, s.importBody(next, in.Secrets))
	w.IdemKey = key
	var out installations.Resource
	w.Local = func(ctx context.Context, tx installations.Tx, _ string) error {
		var perr error
		out, perr = tx.PutResource(ctx, next)
		return perr
	}
	d, err := s.Queue.Enqueue(ctx, w)
	return out, d, err
}

// checkImport validates in against the catalog and returns our copy as
// it will be.
func (s *Service) checkImport(cur installations.Resource, exists bool, inst, id string, in Import) (installations.Resource, error) {
	var fields []apperr.Field
	bad := func(key, msg string) { fields = append(fields, apperr.Field{Key: key, Message: msg}) }
	next := cur
	if !exists {
		next = installations.Resource{ID: id, InstallationID: inst, Status: vercelapi.StatusReady, Ownership: installations.OwnershipOwned}
	}
	next.ProductID = in.ProductID
	name, err := installations.ResourceName(in.Name)
	if err != nil {
		fields = append(fields, fieldsOf(err)...)
	}
	next.Name = name
	product, ok := s.Catalog.Product(in.ProductID)
	switch {
	case in.ProductID == "":
		bad("productId", "required")
	case !ok:
		bad("productId", "no such product")
	default:
		if in.BillingPlanID != nil {
			if msg := s.planProblem(product.ID, *in.BillingPlanID, cur.BillingPlanID, inst); msg != "" {
				bad("billingPlanId", msg)
			}
			next.BillingPlanID = *in.BillingPlanID
		}
		if in.Metadata != nil || !exists {
			raw := in.Metadata
			if raw == nil {
				raw = json.RawMessage(`{}`)
			}
			md, mdFields := checkMetadata(product, raw)
			fields = append(fields, mdFields...)
			next.Metadata = md
		}
		fields = append(fields, checkSecrets(product, in.Secrets)...)
	}
	if in.Status != nil {
		if !slices.Contains(vercelapi.Statuses, *in.Status) {
			bad("status", "unknown status")
		}
		next.Status = *in.Status
	}
	if in.Ownership != nil {
		if !slices.Contains([]string{installations.OwnershipOwned, installations.OwnershipLinked, installations.OwnershipSandbox}, *in.Ownership) {
			bad("ownership", "must be owned, linked or sandbox")
		}
		next.Ownership = *in.Ownership
	}
	if len(fields) > 0 {
		return installations.Resource{}, apperr.InvalidFields("Input has failed validation", fields...)
	}
	return next, nil
}

// checkSecrets applies the hook client's rules to secrets the partner
// sends: environment variable names (the product's, when it lists them),
// each once, and text values up to 64 KB.
func checkSecrets(p installations.Product, secrets []vercelapi.Secret) []apperr.Field {
	if len(secrets) > MaxImportSecrets {
		return []apperr.Field{{Key: "secrets", Message: fmt.Sprintf("at most %d secrets", MaxImportSecrets)}}
	}
	var fields []apperr.Field
	for i, sec := range secrets {
		key := fmt.Sprintf("secrets[%d]", i)
		switch {
		case !secretName.MatchString(sec.Name):
			fields = append(fields, apperr.Field{Key: key + ".name", Message: "must match ^[A-Z_][A-Z0-9_]*$"})
		case len(p.SecretNames) > 0 && !slices.Contains(p.SecretNames, sec.Name):
			fields = append(fields, apperr.Field{Key: key + ".name", Message: "not a secret of product " + p.ID})
		case slices.ContainsFunc(secrets[:i], func(o vercelapi.Secret) bool { return o.Name == sec.Name }):
			fields = append(fields, apperr.Field{Key: key + ".name", Message: "named twice"})
		}
		if sec.Value == "" || len(sec.Value) > MaxSecretValueLen || !utf8.ValidString(sec.Value) {
			fields = append(fields, apperr.Field{Key: key + ".value", Message: "must be 1 byte to 64 KB of text"})
		}
	}
	return fields
}

// importBody is importResource's body for r: Vercel's plan shape, taken
// from the catalog, and the metadata as an object.
func (s *Service) importBody(r installations.Resource, secrets []vercelapi.Secret) *vercelapi.ImportResourceRequest {
	req := &vercelapi.ImportResourceRequest{Ownership: r.Ownership, ProductID: r.ProductID, Name: r.Name,
		Status: r.Status, Secrets: secrets}
	if len(r.Metadata) > 0 {
		json.Unmarshal(r.Metadata, &req.Metadata)
	}
	if plan, ok := s.Catalog.Plan(r.BillingPlanID); ok {
		req.BillingPlan = &vercelapi.BillingPlan{}
		b, _ := json.Marshal(plan) // the catalog's plan has Vercel's JSON shape
		json.Unmarshal(b, req.BillingPlan)
	}
	return req
}

// Remove deletes a resource the partner created (or any of the
// installation's): deleteIntegrationResource is queued, and our copy goes
// once Vercel accepted it (deliveries.OpDeleteResource).
func (s *Service) Remove(ctx context.Context, key, installationID, resourceID string) (deliveries.Delivery, error) {
	if _, err := s.Resources.GetResource(ctx, installationID, resourceID); err != nil {
		return deliveries.Delivery{}, err
	}
	w := deliveries.DeleteResource(installationID, resourceID)
	w.IdemKey = key
	return s.Queue.Enqueue(ctx, w)
}
