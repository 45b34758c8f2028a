package vercelapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Experimentation: flags-category integrations push their flags and
// experiments to Vercel's dashboard and keep a global config there.

// Experimentation item categories.
const (
	CategoryFlag       = "flag"
	CategoryExperiment = "experiment"
)

// Bounds on experimentation items (Vercel states none; these keep what we
// queue small and plain).
const (
	MaxExperimentationItems = 100
	maxItemID               = 256
	maxItemText             = 1024
	maxItemDescription      = 4096
	MaxGlobalConfigBytes    = 64 << 10
)

// ExperimentationItem is one flag or experiment as Vercel's dashboard
// shows it. createdAt and updatedAt are epoch milliseconds.
type ExperimentationItem struct {
	ID          string `json:"id" vercel:"required"`
	Slug        string `json:"slug" vercel:"required"`
	Origin      string `json:"origin" vercel:"required"`
	Category    string `json:"category,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	IsArchived  *bool  `json:"isArchived,omitempty"`
	CreatedAt   *int64 `json:"createdAt,omitempty"`
	UpdatedAt   *int64 `json:"updatedAt,omitempty"`
}

// ExperimentationItems is createInstallationIntegrationConfiguration's body.
type ExperimentationItems struct {
	Items []ExperimentationItem `json:"items" vercel:"required"`
}

// Validate checks the items as Vercel's schema would, plus our bounds.
func (r *ExperimentationItems) Validate() error {
	v := &validator{}
	switch {
	case len(r.Items) == 0:
		v.add("items", "at least one item is required")
	case len(r.Items) > MaxExperimentationItems:
		v.add("items", "at most 100 items at once")
	}
	seen := map[string]bool{}
	for i, it := range r.Items {
		p := index("items", i)
		v.item(p, it.ID, it.Slug, it.Origin, it.Category, it.Name, it.Description)
		if it.ID != "" && seen[it.ID] {
			v.add(join(p, "id"), "repeats an earlier item's id")
		}
		seen[it.ID] = true
	}
	return v.err()
}

// ExperimentationItemUpdate is updateInstallationIntegrationConfiguration's
// body: the item's new state (its id is in the path).
type ExperimentationItemUpdate struct {
	Slug        string `json:"slug" vercel:"required"`
	Origin      string `json:"origin" vercel:"required"`
	Category    string `json:"category,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	IsArchived  *bool  `json:"isArchived,omitempty"`
	CreatedAt   *int64 `json:"createdAt,omitempty"`
	UpdatedAt   *int64 `json:"updatedAt,omitempty"`
}

// Validate checks the update as Vercel's schema would, plus our bounds.
func (r *ExperimentationItemUpdate) Validate() error {
	v := &validator{}
	v.item("", "-", r.Slug, r.Origin, r.Category, r.Name, r.Description)
	return v.err()
}

// ValidItemID reports whether id may name an item in a path.
func ValidItemID(id string) bool {
	return id != "" && len(id) <= maxItemID && utf8.ValidString(id) && !strings.ContainsFunc(id, isControl)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// item checks one item's fields; id "-" is an update's (in the path).
func (v *validator) item(p, id, slug, origin, category, name, description string) {
	if id != "-" {
		if !ValidItemID(id) {
			v.add(join(p, "id"), "required: up to 256 characters, no control characters")
		}
	}
	if slug == "" || len(slug) > maxItemID || strings.ContainsFunc(slug, isControl) {
		v.add(join(p, "slug"), "required: up to 256 characters, no control characters")
	}
	if u, err := url.Parse(origin); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		len(origin) > maxItemText || u.User != nil {
		v.add(join(p, "origin"), "must be an absolute http(s) URL (where the item is managed)")
	}
	v.oneOf(join(p, "category"), category, false, CategoryFlag, CategoryExperiment)
	if len(name) > maxItemText || strings.ContainsFunc(name, isControl) {
		v.add(join(p, "name"), "up to 1024 characters, no control characters")
	}
	if len(description) > maxItemDescription {
		v.add(join(p, "description"), "up to 4096 characters")
	}
}

// GlobalConfigRequest is replaceExperimentationGlobalConfig's body.
type GlobalConfigRequest struct {
	Data map[string]any `json:"data" vercel:"required"`
}

// Validate bounds the config's size; its values are the partner's own.
func (r *GlobalConfigRequest) Validate() error {
	v := &validator{}
	if r.Data == nil {
		v.add("data", "required: an object")
	}
	if b, _ := json.Marshal(r.Data); len(b) > MaxGlobalConfigBytes {
		v.add("data", "at most 64 KB")
	}
	return v.err()
}

// GlobalConfig is Vercel's answer for the global config: the items, a
// digest of them, when they changed (epoch ms) and what they are for.
type GlobalConfig struct {
	Items     map[string]json.RawMessage `json:"items"`
	Digest    string                     `json:"digest"`
	UpdatedAt int64                      `json:"updatedAt"`
	Purpose   string                     `json:"purpose,omitempty"`
}

func experimentationPath(installationID, resourceID string) string {
	return pathf("/v1/installations/%s/resources/%s/experimentation", installationID, resourceID)
}

// CreateExperimentationItems pushes flags and experiments to Vercel.
//
// POST /v1/installations/{installationId}/resources/{resourceId}/experimentation/items
func (c *Client) CreateExperimentationItems(ctx context.Context, token, installationID, resourceID string, req *ExperimentationItems) error {
	return c.noAnswer(ctx, http.MethodPost, token, experimentationPath(installationID, resourceID)+"/items",
		[]string{"installationId", installationID, "resourceId", resourceID}, req)
}

// UpdateExperimentationItem replaces one item.
//
// PATCH /v1/installations/{installationId}/resources/{resourceId}/experimentation/items/{itemId}
func (c *Client) UpdateExperimentationItem(ctx context.Context, token, installationID, resourceID, itemID string, req *ExperimentationItemUpdate) error {
	return c.noAnswer(ctx, http.MethodPatch, token, experimentationPath(installationID, resourceID)+pathf("/items/%s", itemID),
		[]string{"installationId", installationID, "resourceId", resourceID, "itemId", itemID}, req)
}

// DeleteExperimentationItem removes one item.
//
// DELETE /v1/installations/{installationId}/resources/{resourceId}/experimentation/items/{itemId}
func (c *Client) DeleteExperimentationItem(ctx context.Context, token, installationID, resourceID, itemID string) error {
	return c.noAnswer(ctx, http.MethodDelete, token, experimentationPath(installationID, resourceID)+pathf("/items/%s", itemID),
		[]string{"installationId", installationID, "resourceId", resourceID, "itemId", itemID}, nil)
}

// GetGlobalConfig reads the resource's experimentation global config.
//
// GET /v1/installations/{installationId}/resources/{resourceId}/experimentation/global-config
func (c *Client) GetGlobalConfig(ctx context.Context, token, installationID, resourceID string) (*GlobalConfig, error) {
	return callJSON[GlobalConfig](ctx, c, http.MethodGet, token, experimentationPath(installationID, resourceID)+"/global-config",
		[]string{"installationId", installationID, "resourceId", resourceID}, nil)
}

// PutGlobalConfig replaces the resource's experimentation global config.
//
// PUT /v1/installations/{installationId}/resources/{resourceId}/experimentation/global-config
func (c *Client) PutGlobalConfig(ctx context.Context, token, installationID, resourceID string, req *GlobalConfigRequest) (*GlobalConfig, error) {
	return callJSON[GlobalConfig](ctx, c, http.MethodPut, token, experimentationPath(installationID, resourceID)+"/global-config",
		[]string{"installationId", installationID, "resourceId", resourceID}, req)
}

// noAnswer validates and sends a call whose success has no body (204).
func (c *Client) noAnswer(ctx context.Context, method, token, path string, params []string, body validatable) error {
	if err := checkCall(token, params, body); err != nil {
		return err
	}
	var b any
	if body != nil {
		b = body
	}
	r, err := newRequest(method, path, token, b, nil)
	if err != nil {
		return err
	}
	return c.do(ctx, r)
}
