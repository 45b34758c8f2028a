package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// CheckRuns finds an installation's check runs (deployments.Service).
type CheckRuns interface {
	// CheckRun finds one by Vercel's check run id, or else the newest run
	// of the check with that id; apperr NotFound when none.
	CheckRun(ctx context.Context, installationID, id string) (installations.DeploymentJob, error)
}

// PathChecks is where check-run pages are.
const PathChecks = "/dashboard/checks"

type checkView struct {
	Run      installations.DeploymentJob
	Resource string // the resource's name, else its id
	Output   string // the output, indented; "" when none
}

// handleCheck shows one of the session's installation's check runs: its
// deployment, status, conclusion and output.
//
// GET /dashboard/checks/{checkRunId}
func (b *Browser) handleCheck(w http.ResponseWriter, r *http.Request) {
	s, _ := sessionFrom(r.Context())
	id := chi.URLParam(r, "checkRunId")
	if b.Deployments == nil || !validRef.MatchString(id) {
		b.renderAppError(w, r, apperr.NotFoundf("no such check run"))
		return
	}
	run, err := b.Deployments.CheckRun(r.Context(), s.InstallationID, id)
	if err != nil {
		b.renderAppError(w, r, err)
		return
	}
	v := checkView{Run: run, Resource: run.ResourceID}
	if res, err := b.Resources.GetResource(r.Context(), s.InstallationID, run.ResourceID); err == nil && run.ResourceID != "" {
		v.Resource = res.Name
	}
	var out bytes.Buffer
	if len(run.Output) > 0 && json.Indent(&out, run.Output, "", "  ") == nil {
		v.Output = out.String()
	}
	b.render(w, r, http.StatusOK, "check", view{Title: "Check run " + run.Name, Nav: "resources", Data: v})
}
