package dashboard

import (
	"crypto/rand"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

type resourcesView struct{ Resources []installations.Resource }

type resourceView struct {
	Resource           installations.Resource
	ProductName        string
	SecretNames        []string
	ProjectID, CheckID string
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
	b.render(w, r, http.StatusOK, "resources", view{Title: "Resources", Nav: "resources", Data: resourcesView{res}})
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
	v := resourceView{Resource: res, ProductName: res.ProductID}
	if p, ok := b.Catalog.Product(res.ProductID); ok {
		v.ProductName, v.SecretNames = p.Name, p.SecretNames
	}
	q := r.URL.Query()
	if id := q.Get("project_id"); validRef.MatchString(id) {
		v.ProjectID = id
	}
	if id := q.Get("check_id"); validRef.MatchString(id) {
		v.CheckID = id
	}
	b.render(w, r, http.StatusOK, "resource", view{Title: res.Name, Nav: "resources", Notice: noticeFrom(r), Data: v})
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
		b.renderAppError(w, r, err)
		return
	}
	out, err := b.Actions.RenameResource(r.Context(), res.InstallationID, res.ID, name)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.afterAction(w, r, ResourcePage(res.ID, "", "", false), "renamed", out, "resource_id", res.ID)
}

// handleRotate issues fresh random values for every secret the product
// declares and sends them with partial: true. Values are never shown.
//
// POST /dashboard/resources/{resourceId}/rotate
func (b *Browser) handleRotate(w http.ResponseWriter, r *http.Request) {
	res, err := b.resource(r)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	p, ok := b.Catalog.Product(res.ProductID)
	if !ok || len(p.SecretNames) == 0 {
		b.renderAppError(w, r, apperr.New(apperr.Conflict, "no_secrets", "This product provides no secrets to rotate."))
		return
	}
	secrets := make([]installations.Secret, len(p.SecretNames))
	for i, n := range p.SecretNames {
		secrets[i] = installations.Secret{Name: n, Value: rand.Text() + rand.Text()}
	}
	out, err := b.Actions.UpdateSecrets(r.Context(), res.InstallationID, res.ID, secrets, true)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	b.afterAction(w, r, ResourcePage(res.ID, "", "", false), "rotated", out, "resource_id", res.ID)
}
