package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/billing"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/money"
)

// MaxUsageRecords bounds one usage report.
const MaxUsageRecords = 1000

// UsageRecord is one usage record as the partner's service reports it;
// Value is kept as written, so it is parsed exactly, never as a float.
type UsageRecord struct {
	ID         string          `json:"id"`
	ResourceID string          `json:"resourceId"`
	Meter      string          `json:"meter"`
	Value      json.RawMessage `json:"value"`
	At         string          `json:"at"`
}

// AddUsage keeps usage records in the ledger, all or none: every record
// must name a metered subject of the installation and fit its period. A
// finalized installation takes no more usage. It answers how many were
// accepted and how many of those were new.
func (s *Service) AddUsage(ctx context.Context, installationID string, raw []UsageRecord) (accepted, added int, err error) {
	in, err := s.Installations.Get(ctx, installationID)
	if err != nil {
		return 0, 0, err
	}
	if err := in.TakesMore(); err != nil {
		return 0, 0, err
	}
	if err := s.stillBilled(ctx, in); err != nil {
		return 0, 0, err
	}
	records, err := s.checkUsage(ctx, in, raw)
	if err != nil {
		return 0, 0, err
	}
	if added, err = s.Usage.AddUsage(ctx, in.ID, records); err != nil {
		return 0, 0, err
	}
	return len(records), added, nil
}

// ErrBilledToTheEnd refuses usage for an uninstalled installation whose
// final invoice (or, owing nothing, its finalization) is queued: nothing
// reported from then on would ever be billed.
var ErrBilledToTheEnd = apperr.New(apperr.Conflict, "final_invoice_queued",
	"the installation was uninstalled and its final invoice is already queued; no more usage can be billed")

// stillBilled refuses usage once an installation pending finalization has
// its final invoice or its finalization queued.
func (s *Service) stillBilled(ctx context.Context, in installations.Installation) error {
	if in.Status != installations.StatusPendingFinalization {
		return nil
	}
	runs, err := s.Billing.InvoiceRuns(ctx, in.ID)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if run.Final {
			return ErrBilledToTheEnd
		}
	}
	gone := s.Now()
	if in.DeletedAt != nil {
		gone = *in.DeletedAt
	}
	last, _ := billing.Period(gone)
	finalizing, err := s.Billing.Marked(ctx, in.ID, installations.MarkFinalize, last)
	if err == nil && finalizing {
		err = ErrBilledToTheEnd
	}
	return err
}

// OpenPeriod is the installation's open period as the next billing data
// would carry it.
func (s *Service) OpenPeriod(ctx context.Context, installationID string) (billing.Statement, error) {
	in, err := s.Installations.Get(ctx, installationID)
	if err != nil {
		return billing.Statement{}, err
	}
	return installations.OpenPeriod(ctx, s.Catalog, s.Resources, s.Usage, in, s.Now())
}

// checkUsage parses and validates every record, naming each bad field.
func (s *Service) checkUsage(ctx context.Context, in installations.Installation, raw []UsageRecord) ([]billing.Record, error) {
	switch {
	case len(raw) == 0:
		return nil, apperr.InvalidFields("records are required", apperr.Field{Key: "records", Message: "required"})
	case len(raw) > MaxUsageRecords:
		return nil, apperr.InvalidFields("too many records", apperr.Field{Key: "records",
			Message: fmt.Sprintf("at most %d per request", MaxUsageRecords)})
	}
	now := s.Now()
	start, end := billing.UsageWindow(now, s.LateUsageGrace)
	targets, err := installations.UsageTargets(ctx, s.Catalog, s.Resources, s.Usage, in, start)
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
			add("resourceId", "the resource left this installation (deleted or transferred) before at")
		case m.ArrivedAt != nil && !rec.At.IsZero() && rec.At.Before(*m.ArrivedAt):
			add("resourceId", "the resource was transferred here after at; report it to the installation it was in")
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

// parseRecord converts the reported record; value and at problems are its own.
func parseRecord(u UsageRecord) (billing.Record, []billing.Problem) {
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
