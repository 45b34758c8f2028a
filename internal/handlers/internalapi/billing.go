package internalapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
)

// maxUsageRecords bounds one usage request.
const maxUsageRecords = 1000

type usageRequest struct {
	Records []usageRecord `json:"records"`
}

// usageRecord keeps value raw so it is parsed exactly, never as a float.
type usageRecord struct {
	ID         string          `json:"id"`
	ResourceID string          `json:"resourceId"`
	Meter      string          `json:"meter"`
	Value      json.RawMessage `json:"value"`
	At         string          `json:"at"`
}

var errInstallationFinalized = apperr.New(apperr.Conflict, "installation_finalized",
	"the installation is finalized; it takes no more usage")

// handleAddUsage keeps usage records in the ledger, all or none.
func (a *API) handleAddUsage(w http.ResponseWriter, r *http.Request) {
	in, err := a.Installations.Get(r.Context(), chi.URLParam(r, "installationId"))
	if err == nil && in.Status == installations.StatusDeleted {
		err = errInstallationFinalized
	}
	var req usageRequest
	if err == nil {
		err = handlers.ReadJSON(r, &req, false)
	}
	var records []billing.Record
	if err == nil {
		records, err = a.checkUsage(r.Context(), in, req.Records)
	}
	var added int
	if err == nil {
		added, err = a.Usage.AddUsage(r.Context(), in.ID, records)
	}
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	handlers.WriteJSON(w, http.StatusOK, map[string]int{"accepted": len(records), "new": added})
}

// checkUsage parses and validates every record, naming each bad field.
func (a *API) checkUsage(ctx context.Context, in installations.Installation, raw []usageRecord) ([]billing.Record, error) {
	switch {
	case len(raw) == 0:
		return nil, apperr.InvalidFields("records are required", apperr.Field{Key: "records", Message: "required"})
	case len(raw) > maxUsageRecords:
		return nil, apperr.InvalidFields("too many records", apperr.Field{Key: "records",
			Message: fmt.Sprintf("at most %d per request", maxUsageRecords)})
	}
	now := a.now()
	start, end := billing.UsageWindow(now, a.LateUsageGrace)
	targets, err := installations.UsageTargets(ctx, a.Catalog, a.Resources, a.Usage, in, start)
	if err != nil {
		return nil, err
	}
	records := make([]billing.Record, len(raw))
	var fields []apperr.Field
	for i, u := range raw {
		add := func(key, msg string) {
			fields = append(fields, apperr.Field{Key: fmt.Sprintf("records[%d].%s", i, key), Message: msg})
		}
		rec, problems := parseRecord(u)
		for _, p := range problems {
			add(p.Key, p.Message)
		}
		m, known := targets[u.ResourceID]
		switch {
		case !known:
			add("resourceId", "not a resource of this installation with a metered plan")
		case m.DeletedAt != nil && !rec.At.IsZero() && !rec.At.Before(*m.DeletedAt):
			add("resourceId", "the resource was deleted before at")
		}
		for _, p := range billing.ValidateRecord(rec, m.Meters, start, end, now) {
			if p.Key == "at" && u.At != "" && rec.At.IsZero() {
				continue // unparsable: reported once, by parseRecord
			}
			add(p.Key, p.Message)
		}
		records[i] = rec
	}
	if len(fields) > 0 {
		return nil, apperr.InvalidFields("invalid usage records; none were kept", fields...)
	}
	return records, nil
}

// parseRecord converts the wire record; value and at problems are its own.
func parseRecord(u usageRecord) (billing.Record, []billing.Problem) {
	rec := billing.Record{ID: u.ID, ResourceID: u.ResourceID, Meter: u.Meter}
	var problems []billing.Problem
	v := bytes.TrimSpace(u.Value)
	switch {
	case len(v) == 0 || string(v) == "null":
		problems = append(problems, billing.Problem{Key: "value", Message: "required"})
	case v[0] == '-':
		problems = append(problems, billing.Problem{Key: "value", Message: "must not be negative"})
	default:
		d, err := money.ParseNumber(json.Number(v))
		if err != nil || v[0] == '"' {
			problems = append(problems, billing.Problem{Key: "value", Message: "must be a JSON number"})
		}
		rec.Value = d
	}
	if u.At != "" {
		at, err := time.Parse(time.RFC3339Nano, u.At)
		if err != nil {
			problems = append(problems, billing.Problem{Key: "at", Message: "must be an RFC 3339 time"})
		}
		rec.At = at.UTC()
	}
	return rec, problems
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
	in, err := a.Installations.Get(r.Context(), chi.URLParam(r, "installationId"))
	if err != nil {
		handlers.WriteError(w, r, a.Log, err)
		return
	}
	st, err := installations.OpenPeriod(r.Context(), a.Catalog, a.Resources, a.Usage, in, a.now())
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
	}
}
