package partnerapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// upsertRequest is Vercel's Upsert Installation body.
// Unknown keys are tolerated: Vercel's schemas grow.
type upsertRequest struct {
	Scopes           *[]string          `json:"scopes"`
	AcceptedPolicies *map[string]string `json:"acceptedPolicies"`
	Credentials      *struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	} `json:"credentials"`
	Account *struct {
		Name    string `json:"name"`
		URL     string `json:"url"`
		Contact *struct {
			Email string `json:"email"`
			Name  string `json:"name"`
		} `json:"contact"`
	} `json:"account"`
}

// installationView is the body of GET/PUT/PATCH installation answers.
type installationView struct {
	BillingPlan  *installations.BillingPlan `json:"billingPlan,omitempty"`
	Notification json.RawMessage            `json:"notification,omitempty"`
}

func (s *Server) view(in installations.Installation) installationView {
	v := installationView{Notification: in.Notification}
	if plan, ok := s.Catalog.Plan(in.BillingPlanID); ok {
		v.BillingPlan = &plan
	}
	return v
}

func (s *Server) handleUpsertInstallation(w http.ResponseWriter, r *http.Request) {
	var req upsertRequest
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	u, err := req.validate(chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	in, err := s.Installations.Install(r.Context(), u)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, s.view(in))
}

func (req *upsertRequest) validate(id string) (installations.Upsert, error) {
	var fields []apperr.Field
	bad := func(key, msg string) { fields = append(fields, apperr.Field{Key: key, Message: msg}) }
	u := installations.Upsert{ID: id}
	if req.Scopes == nil {
		bad("scopes", "required")
	} else {
		u.Scopes = *req.Scopes
		fields = append(fields, installations.CheckTexts("scopes", u.Scopes, installations.MaxScopes, installations.MaxScope)...)
	}
	if req.AcceptedPolicies == nil {
		bad("acceptedPolicies", "required")
	} else {
		u.AcceptedPolicies = *req.AcceptedPolicies
		names := slices.Collect(maps.Keys(u.AcceptedPolicies))
		if f := installations.CheckTexts("acceptedPolicies", names, installations.MaxScopes, installations.MaxScope); f != nil {
			bad("acceptedPolicies", "at most 100 policies, named in at most 128 bytes")
		} else {
			for k, v := range u.AcceptedPolicies {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					bad("acceptedPolicies."+k, "must be a date-time")
				}
			}
		}
	}
	switch c := req.Credentials; {
	case c == nil:
		bad("credentials", "required")
	default:
		switch {
		case strings.TrimSpace(c.AccessToken) == "":
			bad("credentials.access_token", "required")
		case len(c.AccessToken) > installations.MaxAccessToken:
			// Stored and sent on every call to Vercel: a huge one breaks them all.
			bad("credentials.access_token", "must be at most 4096 bytes")
		}
		switch {
		case c.TokenType == "":
			bad("credentials.token_type", "required")
		case len(c.TokenType) > installations.MaxTokenType:
			bad("credentials.token_type", "must be at most 64 bytes")
		}
		u.Credentials = installations.Credentials{AccessToken: c.AccessToken, TokenType: c.TokenType}
	}
	switch a := req.Account; {
	case a == nil:
		bad("account", "required")
	default:
		if a.URL == "" {
			bad("account.url", "required")
		}
		if a.Contact == nil || a.Contact.Email == "" {
			bad("account.contact.email", "required")
		}
		u.Account = installations.Account{Name: a.Name, URL: a.URL}
		if a.Contact != nil {
			u.Account.ContactEmail, u.Account.ContactName = a.Contact.Email, a.Contact.Name
		}
		fields = append(fields, installations.CheckAccount(u.Account)...)
	}
	if len(fields) > 0 {
		return u, apperr.InvalidFields("Input has failed validation", fields...)
	}
	return u, nil
}

// handleGetInstallation answers the installation's plan and notification
// (404 once finalized).
func (s *Server) handleGetInstallation(w http.ResponseWriter, r *http.Request) {
	in, err := s.Installations.Get(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, s.view(in))
}

func (s *Server) handleUpdateInstallation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BillingPlanID *string `json:"billingPlanId"`
	}
	if err := handlers.ReadJSON(r, &req, true); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	in, err := s.Installations.SetPlan(r.Context(), chi.URLParam(r, "installationId"), req.BillingPlanID)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, s.view(in))
}

func (s *Server) handleDeleteInstallation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CascadeResourceDeletion bool   `json:"cascadeResourceDeletion"`
		Reason                  string `json:"reason"`
	}
	if err := handlers.ReadJSON(r, &req, true); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	finalized, err := s.Installations.Uninstall(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]bool{"finalized": finalized})
}
