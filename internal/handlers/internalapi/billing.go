package internalapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/money"
)

// handleAddUsage keeps usage records in the ledger, all or none.
func (a *API) handleAddUsage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Records []lifecycle.UsageRecord `json:"records"`
	}
	if err := handlers.ReadJSON(r, &req, false); err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	accepted, added, err := a.Lifecycle.AddUsage(r.Context(), chi.URLParam(r, "installationId"), req.Records)
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]int{"accepted": accepted, "new": added})
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// handleGetUsage shows the open period as the next billing data would
// carry it.
func (a *API) handleGetUsage(w http.ResponseWriter, r *http.Request) {
	st, err := a.Lifecycle.OpenPeriod(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, viewStatement(st))
}

type lineView struct {
	ResourceID string        `json:"resourceId,omitempty"`
	PlanID     string        `json:"billingPlanId"`
	Name       string        `json:"name"`
	Type       string        `json:"type,omitempty"` // the meter type; absent for the flat fee
	Units      string        `json:"units"`
	Aggregate  money.Decimal `json:"aggregate"`
	DayValue   money.Decimal `json:"dayValue"`
	Quantity   money.Decimal `json:"quantity"`
	Price      string        `json:"price"`
	Total      string        `json:"total"`
}

type statementView struct {
	Period struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"period"`
	Lines []lineView `json:"lines"`
	Total string     `json:"total"`
}

func viewStatement(st billing.Statement) statementView {
	var v statementView
	v.Period.Start, v.Period.End = rfc3339(st.PeriodStart), rfc3339(st.PeriodEnd)
	v.Lines = make([]lineView, len(st.Lines))
	for i, l := range st.Lines {
		v.Lines[i] = lineView{ResourceID: l.ResourceID, PlanID: l.PlanID, Name: l.Name, Type: l.Type, Units: l.Units,
			Aggregate: l.PeriodValue, DayValue: l.DayValue, Quantity: l.Quantity,
			Price: l.Price.StringFixed(max(2, l.Price.Scale())), Total: l.Total.StringFixed(2)}
	}
	v.Total = st.Total.StringFixed(2)
	return v
}

var errClockOverride = apperr.InvalidFields("now is accepted only with billing.allow_clock_override",
	apperr.Field{Key: "now", Message: "not allowed"})

// handleBillingRun runs one billing cycle now (or, when allowed, as of
// the given time) and answers what it queued.
func (a *API) handleBillingRun(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Now *string `json:"now"`
	}
	err := handlers.ReadJSON(r, &req, true)
	now := a.now()
	if err == nil && req.Now != nil {
		now, err = a.overrideClock(*req.Now)
	}
	var rep autopilot.Report
	if err == nil {
		rep, err = a.Autopilot.Cycle(r.Context(), now)
	}
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, runView(rep))
}

func (a *API) overrideClock(s string) (time.Time, error) {
	if !a.AllowClockOverride {
		return time.Time{}, errClockOverride
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apperr.InvalidFields("invalid now", apperr.Field{Key: "now", Message: "must be an RFC 3339 time"})
	}
	a.Log.Warn("billing run with an overridden clock", "now", rfc3339(t))
	return t, nil
}

type runCounts struct {
	BillingData   int `json:"billingData"`
	Invoices      int `json:"invoices"`
	Balances      int `json:"balances"`
	Finalizations int `json:"finalizations"`
}

func runView(rep autopilot.Report) map[string]any {
	return map[string]any{
		"now":           rfc3339(rep.Now),
		"installations": rep.Installations,
		"failed":        rep.Failed,
		"counts": runCounts{BillingData: len(rep.BillingData), Invoices: len(rep.Invoices),
			Balances: len(rep.Balances), Finalizations: len(rep.Finalizations)},
		"deliveries": map[string][]string{"billingData": rep.BillingData, "invoices": rep.Invoices,
			"balances": rep.Balances, "finalizations": rep.Finalizations},
		"suspended": rep.Suspended,
		"dunning":   rep.Dunning,
	}
}
