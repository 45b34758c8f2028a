package vercelsim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
)

// Experimentation: the flags and experiments a flags-category partner
// pushes for a resource, and the resource's global config.

// Experimentation routes.
const (
	RouteCreateItems     = "POST /v1/installations/{id}/resources/{resourceId}/experimentation/items"
	RouteUpdateItem      = "PATCH /v1/installations/{id}/resources/{resourceId}/experimentation/items/{itemId}"
	RouteDeleteItem      = "DELETE /v1/installations/{id}/resources/{resourceId}/experimentation/items/{itemId}"
	RouteGetGlobalConfig = "GET /v1/installations/{id}/resources/{resourceId}/experimentation/global-config"
	RoutePutGlobalConfig = "PUT /v1/installations/{id}/resources/{resourceId}/experimentation/global-config"
)

// Item is one flag or experiment as Vercel keeps it.
type Item struct {
	ID, Slug, Origin, Category, Name, Description string
	IsArchived                                    bool
}

// GlobalConfig is a resource's global config as Vercel keeps it.
type GlobalConfig struct {
	Items     map[string]any `json:"items"`
	Digest    string         `json:"digest"`
	UpdatedAt int64          `json:"updatedAt"`
}

var itemFields = map[string]prop{
	"slug": req(str), "origin": req(httpURL(false)), "category": opt(enum("flag", "experiment")),
	"name": opt(str), "description": opt(str), "isArchived": opt(boolean), "createdAt": opt(number), "updatedAt": opt(number),
}

var (
	itemBody       = object(itemFields)
	createItemBody = object(map[string]prop{"items": req(arrayOf(object(withID(itemFields))))})
	globalConfig   = object(map[string]prop{"data": req(mapOf(anyValue))})
)

func withID(p map[string]prop) map[string]prop {
	out := map[string]prop{"id": req(str)}
	for k, v := range p {
		out[k] = v
	}
	return out
}

// Items returns the resource's items in the order they were first pushed.
func (s *Sim) Items(installationID, resourceID string) []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.inst(installationID).resources[resourceID]; ok {
		return slices.Clone(r.Items)
	}
	return nil
}

// ResourceGlobalConfig returns the resource's global config (nil when none).
func (s *Sim) ResourceGlobalConfig(installationID, resourceID string) *GlobalConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.inst(installationID).resources[resourceID]; ok && r.GlobalConfig != nil {
		c := *r.GlobalConfig
		return &c
	}
	return nil
}

func itemOf(id string, m map[string]any) Item {
	it := Item{ID: id, Slug: m["slug"].(string), Origin: m["origin"].(string)}
	it.Category, _ = m["category"].(string)
	it.Name, _ = m["name"].(string)
	it.Description, _ = m["description"].(string)
	it.IsArchived, _ = m["isArchived"].(bool)
	return it
}

// putItem adds it or replaces the item with its id; callers hold s.mu.
func putItem(r *Resource, it Item) {
	if i := slices.IndexFunc(r.Items, func(x Item) bool { return x.ID == it.ID }); i >= 0 {
		r.Items[i] = it
		return
	}
	r.Items = append(r.Items, it)
}

func (s *Sim) handleCreateItems(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, createItemBody)
	if !ok {
		return
	}
	s.withResource(w, r, in, func(res *Resource) {
		for _, raw := range body["items"].([]any) {
			m := raw.(map[string]any)
			putItem(res, itemOf(m["id"].(string), m))
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Sim) handleUpdateItem(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, itemBody)
	if !ok {
		return
	}
	s.withResource(w, r, in, func(res *Resource) {
		id := r.PathValue("itemId")
		if !slices.ContainsFunc(res.Items, func(x Item) bool { return x.ID == id }) {
			writeError(w, http.StatusNotFound, "not_found", "item "+id+" not found")
			return
		}
		putItem(res, itemOf(id, body))
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Sim) handleDeleteItem(w http.ResponseWriter, r *http.Request, in *installation) {
	s.withResource(w, r, in, func(res *Resource) {
		id := r.PathValue("itemId")
		res.Items = slices.DeleteFunc(res.Items, func(x Item) bool { return x.ID == id })
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Sim) handleGetGlobalConfig(w http.ResponseWriter, r *http.Request, in *installation) {
	s.withResource(w, r, in, func(res *Resource) {
		c := res.GlobalConfig
		if c == nil {
			c = &GlobalConfig{Items: map[string]any{}, Digest: digest(map[string]any{})}
		}
		writeJSON(w, http.StatusOK, c)
	})
}

func (s *Sim) handlePutGlobalConfig(w http.ResponseWriter, r *http.Request, in *installation) {
	body, _, ok := readBody(w, r, globalConfig)
	if !ok {
		return
	}
	s.withResource(w, r, in, func(res *Resource) {
		data := body["data"].(map[string]any)
		res.GlobalConfig = &GlobalConfig{Items: data, Digest: digest(data), UpdatedAt: s.now().UnixMilli()}
		writeJSON(w, http.StatusOK, res.GlobalConfig)
	})
}

// withResource runs fn on the path's resource, holding s.mu; 404 when
// Vercel has no such resource.
func (s *Sim) withResource(w http.ResponseWriter, r *http.Request, in *installation, fn func(*Resource)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, ok := in.resources[r.PathValue("resourceId")]
	if !ok {
		resourceNotFound(w, r)
		return
	}
	fn(res)
}

func digest(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// JSON is the config's items as indented JSON, for the console.
func (c GlobalConfig) JSON() string {
	b, _ := json.MarshalIndent(c.Items, "", "  ")
	return string(b)
}
