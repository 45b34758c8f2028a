package transfers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Request is Vercel's Create Transfer Request body: the resources to
// offer and when the offer ends (Unix milliseconds).
type Request struct {
	ResourceIDs []string    `json:"resourceIds"`
	ExpiresAt   json.Number `json:"expiresAt"`

	expires *int64 // ExpiresAt, once validated
}

// validate names every bad field: 1 to MaxClaimResources distinct ids,
// and an expiry in the future, at most MaxClaimLife ahead of now.
func (r *Request) validate(now time.Time) error {
	var fields []apperr.Field
	bad := func(key, msg string) { fields = append(fields, apperr.Field{Key: key, Message: msg}) }
	switch n := len(r.ResourceIDs); {
	case n == 0:
		bad("resourceIds", "at least one resource id is required")
	case n > installations.MaxClaimResources:
		bad("resourceIds", fmt.Sprintf("at most %d resource ids", installations.MaxClaimResources))
	}
	if len(r.ResourceIDs) <= installations.MaxClaimResources {
		for i, id := range r.ResourceIDs {
			key := fmt.Sprintf("resourceIds[%d]", i)
			switch {
			case installations.CheckID(key, id) != nil:
				bad(key, "must be 1 to 128 letters, digits or ._:~-")
			case slices.Contains(r.ResourceIDs[:i], id):
				bad(key, "named twice")
			}
		}
	}
	ms, err := r.ExpiresAt.Int64()
	switch {
	case r.ExpiresAt == "":
		bad("expiresAt", "required: a time in Unix milliseconds")
	case err != nil:
		bad("expiresAt", "must be a whole number of Unix milliseconds")
	case ms <= now.UnixMilli():
		bad("expiresAt", "must be in the future")
	case ms > now.Add(installations.MaxClaimLife).UnixMilli():
		bad("expiresAt", "must be at most 30 days ahead")
	default:
		r.expires = &ms
	}
	if len(fields) > 0 {
		return apperr.InvalidFields("Input has failed validation", fields...)
	}
	return nil
}

// notOwned refuses the ids that are not among the source's resources
// found, naming each by its place in the request.
func notOwned(ids []string, found []installations.Resource) error {
	var fields []apperr.Field
	for i, id := range ids {
		if !slices.ContainsFunc(found, func(r installations.Resource) bool { return r.ID == id }) {
			fields = append(fields, apperr.Field{Key: fmt.Sprintf("resourceIds[%d]", i),
				Message: "not a resource of this installation"})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Unprocessable, Code: "unknown_resources",
		Message: "some resources are not resources of this installation", Fields: fields}
}

// gone refuses a claim some of whose resources left the source since it
// was made (deleted, or moved by another claim).
func gone(ids []string, found []installations.Resource) error {
	var missing []string
	for _, id := range ids {
		if !slices.ContainsFunc(found, func(r installations.Resource) bool { return r.ID == id }) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return apperr.New(apperr.Conflict, "resource_gone",
		"no longer in the source installation: "+joinIDs(missing))
}

func joinIDs(ids []string) string { return strings.Join(ids, ", ") }
