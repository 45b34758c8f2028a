package partnerapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/handlers"
)

// replRequest is Vercel's REPL body.
type replRequest struct {
	Input    *string `json:"input"`
	ReadOnly bool    `json:"readOnly"`
}

// handleREPL answers the store page's REPL with blocks (always 200 once
// the request is valid). A USER member's input is always read-only.
func (s *Server) handleREPL(w http.ResponseWriter, r *http.Request) {
	var req replRequest
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	if req.Input == nil {
		handlers.WriteError(w, r, s.Log, apperr.InvalidFields("Input has failed validation",
			apperr.Field{Key: "input", Message: "required"}))
		return
	}
	if c := VercelClaims(r.Context()); c != nil && c.IsUser() && !c.IsAdmin() {
		req.ReadOnly = true
	}
	blocks, err := s.Resources.REPL(r.Context(), chi.URLParam(r, "installationId"), chi.URLParam(r, "resourceId"),
		*req.Input, req.ReadOnly)
	if err != nil {
		handlers.WriteError(w, r, s.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, blocks)
}
