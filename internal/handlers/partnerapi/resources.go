package partnerapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// resourceView is Vercel's Resource as we answer it (the shape the hook
// sees, plus a notification); Secrets only on provision.
type resourceView struct {
	provisioning.HookResource
	Notification json.RawMessage `json:"notification,omitempty"`
}

// provisionView is the provision answer: the only one that carries secrets.
type provisionView struct {
	resourceView
	Secrets []provisioning.Secret `json:"secrets"`
}

func (s *Server) resourceView(r installations.Resource) resourceView {
	return resourceView{HookResource: provisioning.ResourceOf(r, s.Catalog)}
}

// provisionRequest is Vercel's Provision Resource body.
type provisionRequest struct {
	ProductID     string          `json:"productId"`
	Name          string          `json:"name"`
	Metadata      json.RawMessage `json:"metadata"`
	BillingPlanID string          `json:"billingPlanId"`
	ExternalID    string          `json:"externalId"`
}

var errHookFailed = provisioning.ErrHookFailed

// liveInstallation returns the path's installation: 404 when unknown, 409
// once Vercel uninstalled it.
func (s *Server) liveInstallation(ctx context.Context, id string) (installations.Installation, error) {
	in, err := s.Installations.Get(ctx, id)
	if err != nil {
		return in, err
	}
	if in.Uninstalled() {
		return in, apperr.New(apperr.Conflict, "conflict", "the installation is deleted")
	}
	return in, nil
}

// liveResource returns a resource of a live installation (404, or 409
// once uninstalled).
func (s *Server) liveResource(ctx context.Context, inst, rid string) (installations.Resource, error) {
	if _, err := s.liveInstallation(ctx, inst); err != nil {
		return installations.Resource{}, err
	}
	return s.Resources.GetResource(ctx, inst, rid)
}

func (s *Server) handleProvision(w http.ResponseWriter, r *http.Request) {
	inst := chi.URLParam(r, "installationId")
	var req provisionRequest
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if _, err := s.liveInstallation(r.Context(), inst); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	res, err := s.validateProvision(inst, req)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	out, err := s.provision(r.Context(), res, req.ExternalID)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	s.Log.InfoContext(r.Context(), "resource provisioned", "installation_id", inst, "resource_id", res.ID,
		"product_id", res.ProductID, "status", out.Status)
	handlers.WriteJSON(w, http.StatusOK, out)
}

// validateProvision checks every field and names each bad one; it returns
// the resource to create, with a new unguessable id.
func (s *Server) validateProvision(inst string, req provisionRequest) (installations.Resource, error) {
	var fields []apperr.Field
	bad := func(key, msg string) { fields = append(fields, apperr.Field{Key: key, Message: msg}) }
	res := installations.Resource{ID: "res_" + rand.Text(), InstallationID: inst, ProductID: req.ProductID, BillingPlanID: req.BillingPlanID}
	name, err := installations.ResourceName(req.Name)
	if err != nil {
		fields = append(fields, fieldsOf(err)...)
	}
	res.Name = name
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
func (s *Server) planProblem(productID, planID, current, inst string) string {
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

func fieldsOf(err error) []apperr.Field {
	if e, ok := errors.AsType[*apperr.Error](err); ok && len(e.Fields) > 0 {
		return e.Fields
	}
	return []apperr.Field{{Key: "body", Message: err.Error()}}
}

// provision creates the resource: through the hook, whose secrets are
// passed on and never stored, and only then our row; or, in feed mode, a
// pending row and the request on the event feed, in one transaction.
func (s *Server) provision(ctx context.Context, res installations.Resource, externalID string) (provisionView, error) {
	res.Status = vercelapi.StatusPending
	if s.Hook == nil {
		return s.provisionFeed(ctx, res, externalID)
	}
	ans, err := s.callHook(ctx, provisioning.Request{Type: provisioning.TypeProvision, InstallationID: res.InstallationID,
		Resource: s.resourceView(res)})
	if err != nil {
		return provisionView{}, err
	}
	res.Status = cmpOr(ans.Status, vercelapi.StatusReady)
	out, err := s.Resources.PutResource(ctx, res)
	if err != nil {
		// Vercel will retry with a new id: undo the hook's resource, best effort.
		s.callHook(context.WithoutCancel(ctx), provisioning.Request{Type: provisioning.TypeDelete,
			InstallationID: res.InstallationID, Resource: s.resourceView(res)})
		return provisionView{}, err
	}
	v := provisionView{resourceView: s.resourceView(out), Secrets: nonNil(ans.Secrets)}
	v.Notification = ans.Notification
	return v, nil
}

func (s *Server) provisionFeed(ctx context.Context, res installations.Resource, externalID string) (provisionView, error) {
	var out installations.Resource
	err := s.Tx(ctx, func(tx installations.Tx) error {
		var err error
		if out, err = tx.PutResource(ctx, res); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceProvisionRequested,
			InstallationID: res.InstallationID, Subject: res.ID,
			Data: map[string]any{"resource": s.resourceView(out), "externalId": externalID}})
	})
	return provisionView{resourceView: s.resourceView(out), Secrets: []provisioning.Secret{}}, err
}

// callHook calls the provisioning hook; any failure is the one 409 the
// user sees, with the cause logged (never the answer: it may hold secrets).
func (s *Server) callHook(ctx context.Context, req provisioning.Request) (provisioning.Response, error) {
	ans, err := s.Hook.Call(ctx, req)
	if err == nil && ans.Status != "" && !slices.Contains(vercelapi.Statuses, ans.Status) {
		err = apperr.New(apperr.Internal, "bad_hook_status", "the hook answered an unknown status")
	}
	if err != nil {
		s.Log.WarnContext(ctx, "provisioning hook failed", "type", req.Type, "installation_id", req.InstallationID, "err", err)
		return provisioning.Response{}, errHookFailed
	}
	return ans, nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (s *Server) handleGetResource(w http.ResponseWriter, r *http.Request) {
	res, err := s.Resources.GetResource(r.Context(), chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, s.resourceView(res))
}

// updateRequest is Vercel's Update Resource body; status is deprecated but
// still accepted.
type updateRequest struct {
	Name          *string         `json:"name"`
	Metadata      json.RawMessage `json:"metadata"`
	BillingPlanID *string         `json:"billingPlanId"`
	Status        *string         `json:"status"`
}

func (s *Server) handleUpdateResource(w http.ResponseWriter, r *http.Request) {
	inst, rid := chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId")
	var req updateRequest
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	cur, err := s.liveResource(r.Context(), inst, rid)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	next, err := s.applyUpdate(cur, req)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	out, err := s.update(r.Context(), next)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, s.resourceView(out))
}

// applyUpdate validates the change and returns the resource as changed.
func (s *Server) applyUpdate(cur installations.Resource, req updateRequest) (installations.Resource, error) {
	var fields []apperr.Field
	next := cur
	if req.Name != nil {
		name, err := installations.ResourceName(*req.Name)
		if err != nil {
			fields = append(fields, fieldsOf(err)...)
		}
		next.Name = name
	}
	if req.BillingPlanID != nil {
		if msg := s.planProblem(cur.ProductID, *req.BillingPlanID, cur.BillingPlanID, cur.InstallationID); msg != "" {
			fields = append(fields, apperr.Field{Key: "billingPlanId", Message: msg})
		}
		next.BillingPlanID = *req.BillingPlanID
	}
	if req.Status != nil {
		if !slices.Contains(vercelapi.Statuses, *req.Status) {
			fields = append(fields, apperr.Field{Key: "status", Message: "unknown status"})
		}
		next.Status = *req.Status
	}
	if len(req.Metadata) > 0 && string(req.Metadata) != "null" {
		if product, ok := s.Catalog.Product(cur.ProductID); ok {
			md, mdFields := checkMetadata(product, req.Metadata)
			fields = append(fields, mdFields...)
			next.Metadata = md
		}
	}
	if len(fields) > 0 {
		return cur, apperr.InvalidFields("Input has failed validation", fields...)
	}
	return next, nil
}

// update asks the hook first (when there is one), then keeps the change;
// in feed mode the change goes on the feed for the partner's service.
func (s *Server) update(ctx context.Context, next installations.Resource) (installations.Resource, error) {
	if s.Hook != nil {
		ans, err := s.callHook(ctx, provisioning.Request{Type: provisioning.TypeUpdate, InstallationID: next.InstallationID,
			Resource: s.resourceView(next)})
		if err != nil {
			return installations.Resource{}, err
		}
		next.Status = cmpOr(ans.Status, next.Status)
		return s.Resources.PutResource(ctx, next)
	}
	var out installations.Resource
	err := s.Tx(ctx, func(tx installations.Tx) error {
		var err error
		if out, err = tx.PutResource(ctx, next); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, installations.NewEvent{Type: installations.EventResourceUpdateRequested,
			InstallationID: next.InstallationID, Subject: next.ID, Data: map[string]any{"resource": s.resourceView(out)}})
	})
	return out, err
}

func (s *Server) handleDeleteResource(w http.ResponseWriter, r *http.Request) {
	inst, rid := chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId")
	res, err := s.Resources.GetResource(r.Context(), inst, rid)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if s.Hook != nil {
		if _, err := s.callHook(r.Context(), provisioning.Request{Type: provisioning.TypeDelete, InstallationID: inst,
			Resource: s.resourceView(res)}); err != nil {
			handlers.WriteError(w, r, s.Log, err)
			return
		}
	}
	err = s.Tx(r.Context(), func(tx installations.Tx) error {
		if err := tx.DeleteResource(r.Context(), inst, rid); err != nil {
			return err
		}
		return tx.AppendEvent(r.Context(), installations.NewEvent{Type: installations.EventResourceDeleted,
			InstallationID: inst, Subject: rid, Data: map[string]any{"resource": s.resourceView(res)}})
	})
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	s.Log.InfoContext(r.Context(), "resource deleted", "installation_id", inst, "resource_id", rid)
	w.WriteHeader(http.StatusNoContent)
}

// rotateRequest is Vercel's Rotate Secrets body.
type rotateRequest struct {
	Reason                         string       `json:"reason"`
	DelayOldSecretsExpirationHours *json.Number `json:"delayOldSecretsExpirationHours"`
}

// MaxRotationDelayHours bounds delayOldSecretsExpirationHours (30 days).
const MaxRotationDelayHours = 720

func (req rotateRequest) validate() error {
	h := req.DelayOldSecretsExpirationHours
	if h == nil {
		return nil
	}
	v, ok := new(big.Rat).SetString(h.String())
	if !ok || v.Sign() < 0 || v.Cmp(big.NewRat(MaxRotationDelayHours, 1)) > 0 {
		return apperr.InvalidFields("Input has failed validation", apperr.Field{Key: "delayOldSecretsExpirationHours",
			Message: "must be a number of hours from 0 to 720"})
	}
	return nil
}

// handleRotateSecrets answers at once with new secrets from the hook, or
// puts the request on the feed; the service then sends the secrets with
// the internal API's PUT .../secrets.
func (s *Server) handleRotateSecrets(w http.ResponseWriter, r *http.Request) {
	inst, rid := chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId")
	var req rotateRequest
	if err := handlers.ReadJSON(r, &req, true); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if err := req.validate(); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	res, err := s.liveResource(r.Context(), inst, rid)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	rot, err := s.Rotator.Rotate(r.Context(), res, s.resourceView(res), req.Reason, req.DelayOldSecretsExpirationHours)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if rot.Sync {
		handlers.WriteJSON(w, http.StatusOK, map[string]any{"sync": true, "secrets": rot.Secrets})
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]bool{"sync": false})
}

func nonNil(s []provisioning.Secret) []provisioning.Secret {
	if s == nil {
		return []provisioning.Secret{}
	}
	return s
}
