package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// PathItems is where an experimentation item's page lives.
const PathItems = "/dashboard/items"

// itemView is an experimentation item's page: the flag or experiment as
// the partner pushed it to Vercel, and its resource.
type itemView struct {
	ID, Slug, Origin, Category, Name, Description string
	IsArchived                                    bool
	Resource                                      installations.Resource
	Updated                                       time.Time
	Others                                        int // other resources with an item of this id
}

// validItemID bounds an item id from a deep link or a path.
func validItemID(id string) bool {
	return id != "" && len(id) <= 256 && !strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// findItems returns the installation's items named by id. Vercel's deep
// link may name an item "<kind>:<id>" (flag:123): when nothing has the
// whole value as its id, the part after the colon is tried.
func findItems(ctx context.Context, store installations.ExperimentationStore, installationID, id string) ([]installations.ExperimentationItem, error) {
	if store == nil || !validItemID(id) {
		return nil, nil
	}
	items, err := store.FindExperimentationItems(ctx, installationID, id)
	if err != nil || len(items) > 0 {
		return items, err
	}
	if _, rest, ok := strings.Cut(id, ":"); ok && rest != "" {
		return store.FindExperimentationItems(ctx, installationID, rest)
	}
	return nil, nil
}

// itemPage is the path of an item's page.
func itemPage(id string) string { return PathItems + "/" + url.PathEscape(id) }

func (b *Browser) handleItem(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionFrom(r.Context())
	items, err := findItems(r.Context(), b.Items, s.InstallationID, chi.URLParam(r, "itemId"))
	if err == nil && len(items) == 0 {
		err = apperr.NotFoundf("There is no such flag or experiment in this installation.")
	}
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	it := items[0]
	var body struct {
		Slug, Origin, Category, Name, Description string
		IsArchived                                bool
	}
	if err := json.Unmarshal(it.Body, &body); err != nil {
		b.renderAppError(w, r, err)
		return
	}
	v := itemView{ID: it.ID, Slug: body.Slug, Origin: body.Origin, Category: body.Category, Name: body.Name,
		Description: body.Description, IsArchived: body.IsArchived, Updated: it.UpdatedAt, Others: len(items) - 1}
	if v.Resource, err = b.Resources.GetResource(r.Context(), s.InstallationID, it.ResourceID); err != nil {
		v.Resource = installations.Resource{ID: it.ResourceID} // deleted since: the item still shows
	}
	if u, err := url.Parse(v.Origin); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		v.Origin = "" // only ever a link to an http(s) page
	}
	b.render(w, r, http.StatusOK, "item", view{Title: "Flag " + v.ID, Nav: "resources", Data: v})
}
