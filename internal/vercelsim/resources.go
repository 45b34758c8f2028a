package vercelsim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// Resource is Vercel's copy of one of the partner's resources.
type Resource struct {
	ID            string          // the partner's resource ID
	InternalID    string          // Vercel's own ID (generated)
	ProductID     string          // the partner's product ID or slug
	Name          string          //
	Status        string          // ready|pending|onboarding|suspended|resumed|uninstalled|error
	Ownership     string          // owned|linked|sandbox, when imported with one
	BillingPlanID string          //
	Metadata      map[string]any  //
	Notification  json.RawMessage // nil when none
	Extras        map[string]any  //
	Secrets       []Secret        // the last applied set, honouring partial updates
	Items         []Item          // experimentation items pushed for it
	GlobalConfig  *GlobalConfig   // its experimentation global config
}

// Secret is one resource secret (an env var in connected projects).
type Secret struct {
	Name                 string            `json:"name"`
	Value                string            `json:"value"`
	Prefix               string            `json:"prefix,omitempty"`
	EnvironmentOverrides map[string]string `json:"environmentOverrides,omitempty"`
}

// SetResource makes a resource known to Vercel (as provisioning through
// the partner would), replacing any previous copy. ID is set to resourceID.
func (s *Sim) SetResource(installationID, resourceID string, r Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ID = resourceID
	if r.InternalID == "" {
		r.InternalID = newID("store_")
	}
	r.Status = cmpOr(r.Status, "ready")
	s.inst(installationID).resources[resourceID] = &r
}

// Resource returns Vercel's copy of a resource.
func (s *Sim) Resource(installationID, resourceID string) (Resource, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.inst(installationID).resources[resourceID]
	if !ok {
		return Resource{}, false
	}
	return cloneResource(r), true
}

// Secrets returns the resource's current secrets (nil for an unknown one).
func (s *Sim) Secrets(installationID, resourceID string) []Secret {
	r, _ := s.Resource(installationID, resourceID)
	return r.Secrets
}

func cloneResource(r *Resource) Resource {
	c := *r
	c.Metadata = maps.Clone(r.Metadata)
	c.Extras = maps.Clone(r.Extras)
	c.Secrets = slices.Clone(r.Secrets)
	c.Items = slices.Clone(r.Items)
	return c
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// resourceJSON is getIntegrationResource's shape; idKey is "id" for the
// single GET and "partnerId" for the list.
func resourceJSON(r *Resource, idKey string) map[string]any {
	m := map[string]any{idKey: r.ID, "internalId": r.InternalID, "name": r.Name, "productId": r.ProductID, "status": r.Status}
	if r.BillingPlanID != "" {
		m["billingPlanId"] = r.BillingPlanID
	}
	if r.Metadata != nil {
		m["metadata"] = r.Metadata
	}
	if len(r.Notification) > 0 && string(r.Notification) != "null" {
		m["notification"] = r.Notification
	}
	return m
}

func (s *Sim) handleGetResources(w http.ResponseWriter, r *http.Request, in *installation) {
	s.mu.Lock()
	list := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(in.resources)) {
		list = append(list, resourceJSON(in.resources[id], "partnerId"))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"resources": list})
}

func (s *Sim) handleGetResource(w http.ResponseWriter, r *http.Request, in *installation) {
	s.mu.Lock()
	res, ok := in.resources[r.PathValue("resourceId")]
	var body map[string]any
	if ok {
		body = resourceJSON(res, "id")
	}
	s.mu.Unlock()
	if !ok {
		resourceNotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func resourceNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "not_found", "resource "+r.PathValue("resourceId")+" not found")
}

func (s *Sim) handleImportResource(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, importResourceBody)
	if !ok {
		return
	}
	id := r.PathValue("resourceId")
	s.mu.Lock()
	defer s.mu.Unlock()
	res, exists := in.resources[id]
	if exists && res.ProductID != body["productId"] {
		writeError(w, http.StatusConflict, "conflict", "resource "+id+" belongs to product "+res.ProductID)
		return
	}
	if !exists {
		res = &Resource{ID: id, InternalID: newID("store_")}
		in.resources[id] = res
	}
	res.ProductID = body["productId"].(string)
	applyResourceFields(res, body)
	writeJSON(w, http.StatusOK, map[string]any{"name": res.Name})
}

func (s *Sim) handleUpdateResource(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, updateResourceBody)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, exists := in.resources[r.PathValue("resourceId")]
	if !exists {
		resourceNotFound(w, r)
		return
	}
	applyResourceFields(res, body)
	writeJSON(w, http.StatusOK, map[string]any{"name": res.Name})
}

// applyResourceFields copies the schema-checked keys of an import or
// update body onto res; callers hold s.mu.
func applyResourceFields(res *Resource, body map[string]any) {
	for k, v := range body {
		switch k {
		case "name":
			res.Name = v.(string)
		case "status":
			res.Status = v.(string)
		case "ownership":
			res.Ownership = v.(string)
		case "metadata":
			res.Metadata = v.(map[string]any)
		case "extras":
			res.Extras = v.(map[string]any)
		case "billingPlan":
			res.BillingPlanID = v.(map[string]any)["id"].(string)
		case "notification":
			res.Notification, _ = json.Marshal(v)
		case "secrets":
			if obj, ok := v.(map[string]any); ok {
				partial, _ := obj["partial"].(bool)
				res.Secrets = applySecrets(res.Secrets, obj["secrets"].([]any), partial)
			} else {
				res.Secrets = applySecrets(nil, v.([]any), false)
			}
		}
	}
}

func (s *Sim) handleDeleteResource(w http.ResponseWriter, r *http.Request, in *installation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("resourceId")
	if _, ok := in.resources[id]; !ok {
		resourceNotFound(w, r)
		return
	}
	delete(in.resources, id)
	writeEmpty(w, http.StatusNoContent)
}

// handleUpdateSecrets serves both the by-id and the deprecated product path.
func (s *Sim) handleUpdateSecrets(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, updateSecretsBody)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, exists := in.resources[r.PathValue("resourceId")]
	if !exists {
		resourceNotFound(w, r)
		return
	}
	partial, _ := body["partial"].(bool)
	res.Secrets = applySecrets(res.Secrets, body["secrets"].([]any), partial)
	writeEmpty(w, http.StatusCreated)
}

// applySecrets returns the new secret set from a schema-checked list:
// with partial only the listed names are overwritten (or added),
// otherwise the list replaces everything.
func applySecrets(current []Secret, list []any, partial bool) []Secret {
	return mergeSecrets(current, secretsFromJSON(list), partial)
}

// mergeSecrets is applySecrets over decoded secrets.
func mergeSecrets(current, list []Secret, partial bool) []Secret {
	next := []Secret{}
	if partial {
		next = slices.Clone(current)
	}
	for _, sec := range list {
		if i := slices.IndexFunc(next, func(x Secret) bool { return x.Name == sec.Name }); i >= 0 {
			next[i] = sec
		} else {
			next = append(next, sec)
		}
	}
	return next
}

// Resources returns Vercel's copies of the installation's resources, by ID.
func (s *Sim) Resources(installationID string) []Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst(installationID)
	var out []Resource
	for _, id := range slices.Sorted(maps.Keys(in.resources)) {
		out = append(out, cloneResource(in.resources[id]))
	}
	return out
}

// forgetResources drops Vercel's copy of an installation's resources, as
// when a finalized installation is installed again: a new installation
// has none.
func (s *Sim) forgetResources(installationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.inst(installationID).resources)
}
