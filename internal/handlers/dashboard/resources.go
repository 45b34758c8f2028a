package dashboard

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/resources"
)

type resourcesView struct{ Resources []resourceRow }

// resourceRow is a resource with the names people read, not ids.
type resourceRow struct {
	installations.Resource
	ProductName, PlanName string
}

type resourceView struct {
	Resource           installations.Resource
	ProductName        string
	PlanName           string
	Plans              []installations.BillingPlan // plans an admin may switch to
	SecretNames        []string
	ProjectID, CheckID string
	Projects           []installations.ResourceProject // connected in Vercel
}

// rows names each resource's product and plan.
func (b *Browser) rows(res []installations.Resource) []resourceRow {
	out := make([]resourceRow, len(res))
	for i, r := range res {
		out[i] = b.row(r)
	}
	return out
}

// row names the resource's product and plan from the catalog.
func (b *Browser) row(r installations.Resource) resourceRow {
	row := resourceRow{Resource: r, ProductName: r.ProductID, PlanName: r.BillingPlanID}
	if p, ok := b.Catalog.Product(r.ProductID); ok {
		row.ProductName = p.Name
	}
	if pl, ok := b.Catalog.Plan(r.BillingPlanID); ok {
		row.PlanName = pl.Name
	}
	return row
}

// handleResources lists the installation's resources.
//
// GET /dashboard/resources
func (b *Browser) handleResources(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionFrom(r.Context())
	res, err := b.Resources.ListResources(r.Context(), s.InstallationID)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.render(w, r, http.StatusOK, "resources", view{Title: "Resources", Nav: "resources", Data: resourcesView{b.rows(res)}})
}

// resource loads the {resourceId} of the session's installation.
func (b *Browser) resource(r *http.Request) (installations.Resource, error) {
	s, _ := sessionFrom(r.Context())
	id := chi.URLParam(r, "resourceId")
	if !validRef.MatchString(id) {
		return installations.Resource{}, apperr.NotFoundf("There is no such resource.")
	}
	res, err := b.Resources.GetResource(r.Context(), s.InstallationID, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return installations.Resource{}, apperr.NotFoundf("There is no such resource in this installation.")
	}
	return res, err
}

// handleResource shows one resource, with rename and rotate for admins.
// project_id and check_id from a deep link are shown as context.
//
// GET /dashboard/resources/{resourceId}
func (b *Browser) handleResource(w http.ResponseWriter, r *http.Request) {
	res, err := b.resource(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.renderResource(w, r, res, http.StatusOK, "", nil)
}

// renderResource shows the resource page; formErr, when set, is a refused
// form's error, shown beside that form.
func (b *Browser) renderResource(w http.ResponseWriter, r *http.Request, res installations.Resource, status int, form string, formErr error) {
	row := b.row(res)
	v := resourceView{Resource: res, ProductName: row.ProductName, PlanName: row.PlanName}
	if p, ok := b.Catalog.Product(res.ProductID); ok {
		v.SecretNames = p.SecretNames
	}
	if plans, ok := b.Catalog.PlansFor(res.ProductID, res.InstallationID); ok {
		for _, pl := range plans {
			if !pl.Disabled {
				v.Plans = append(v.Plans, pl)
			}
		}
	}
	if b.Projects != nil {
		list, err := b.Projects.ListResourceProjects(r.Context(), res.InstallationID, res.ID)
		if err != nil {
			b.renderAppError(w, r, err)
			return
		}
		v.Projects = list
	}
	q := r.URL.Query()
	if id := q.Get("project_id"); validRef.MatchString(id) {
		v.ProjectID = id
	}
	if id := q.Get("check_id"); validRef.MatchString(id) {
		v.CheckID = id
	}
	page := view{Title: res.Name, Nav: "resources", Notice: noticeFrom(r), Data: v}
	if e, ok := appErr(formErr); ok {
		page.FormName, page.FormError, page.Notice = form, e.Message, ""
	}
	b.render(w, r, status, "resource", page)
}

// handleRename renames a resource: our copy first, then resource.updated
// to Vercel, through the delivery queue.
//
// POST /dashboard/resources/{resourceId}/rename (form: name)
func (b *Browser) handleRename(w http.ResponseWriter, r *http.Request) {
	res, err := b.resource(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	name, err := installations.ResourceName(r.PostFormValue("name"))
	if err != nil {
		b.renderResource(w, r, res, http.StatusBadRequest, "rename", err)
		return
	}
	_, out, err := b.ResourceActions.Change(r.Context(), "", res.InstallationID, res.ID, resources.Patch{Name: &name})
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.afterAction(w, r, ResourcePage(res.ID, "", "", false), "renamed", out, "resource_id", res.ID)
}

// handleChangePlan moves a resource to another plan of its product.
//
// POST /dashboard/resources/{resourceId}/plan (form: plan)
func (b *Browser) handleChangePlan(w http.ResponseWriter, r *http.Request) {
	res, err := b.resource(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	plan, ok := b.Catalog.PlanFor(res.ProductID, r.PostFormValue("plan"), res.InstallationID)
	if !ok || plan.Disabled {
		b.renderResource(w, r, res, http.StatusBadRequest, "plan", apperr.InvalidFields("The plan is not valid: this product does not offer it.",
			apperr.Field{Key: "plan", Message: "not offered"}))
		return
	}
	_, out, err := b.ResourceActions.Change(r.Context(), "", res.InstallationID, res.ID, resources.Patch{BillingPlanID: &plan.ID})
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.afterAction(w, r, ResourcePage(res.ID, "", "", false), "plan", out, "resource_id", res.ID, "billing_plan_id", plan.ID)
}

type rotateView struct {
	Resource    installations.Resource
	SecretNames []string
}

// handleRotateConfirm asks an admin to confirm a rotation: connected
// projects get new values, and the old ones stop working.
//
// GET /dashboard/resources/{resourceId}/rotate
func (b *Browser) handleRotateConfirm(w http.ResponseWriter, r *http.Request) {
	res, err := b.resource(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	v := rotateView{Resource: res}
	if p, ok := b.Catalog.Product(res.ProductID); ok {
		v.SecretNames = p.SecretNames
	}
	b.render(w, r, http.StatusOK, "rotate", view{Title: "Rotate secrets", Nav: "resources", Data: v})
}

// handleRotate asks for new secrets the way Vercel's rotation request
// does: the provisioning hook issues them (and they go to Vercel through
// the delivery queue), or the partner's service is asked on the feed.
// The dashboard never makes secret values up.
//
// POST /dashboard/resources/{resourceId}/rotate (form: confirm=yes, reason)
func (b *Browser) handleRotate(w http.ResponseWriter, r *http.Request) {
	res, err := b.resource(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		http.Redirect(w, r, ResourcePage(res.ID, "", "", false)+"/rotate", http.StatusSeeOther)
		return
	}
	reason := "Rotation requested from the provider dashboard"
	rot, out, err := b.ResourceActions.RenewSecrets(r.Context(), res, reason)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	notice := "rotated"
	if !rot.Sync {
		notice = "rotation_requested"
	}
	b.afterAction(w, r, ResourcePage(res.ID, "", "", false), notice, out, "resource_id", res.ID)
}
