package vercelsim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"time"
)

// maxStaleness is how far in the past submitBillingData's eod and
// period.end may lie.
const maxStaleness = 24 * time.Hour

// BillingSubmissions returns the submitBillingData bodies accepted, in order.
func (s *Sim) BillingSubmissions(installationID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inst(installationID).billing)
}

// BillingByDay returns, per UTC day of eod ("2006-01-02"), the accepted
// submitBillingData body with the latest timestamp: what Vercel keeps.
func (s *Sim) BillingByDay(installationID string) map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]json.RawMessage{}
	for day, b := range s.inst(installationID).billingDays {
		out[day] = b.body
	}
	return out
}

// billingDay is the submission Vercel keeps for one usage day.
type billingDay struct {
	timestamp time.Time
	body      json.RawMessage
}

// Balance is one prepaid balance from submitPrepaymentBalances.
type Balance struct {
	ResourceID           string      `json:"resourceId,omitempty"`
	Credit               string      `json:"credit,omitempty"`
	NameLabel            string      `json:"nameLabel,omitempty"`
	CurrencyValueInCents json.Number `json:"currencyValueInCents"`
}

// Balances returns the balances of the latest accepted
// submitPrepaymentBalances (nil before any).
func (s *Sim) Balances(installationID string) []Balance {
	list := s.PrepaymentBalances(installationID)
	if len(list) == 0 {
		return nil
	}
	var body struct{ Balances []Balance }
	_ = json.Unmarshal(list[len(list)-1], &body)
	return body.Balances
}

// Finalized reports whether finalizeInstallation ran for the installation.
func (s *Sim) Finalized(installationID string) bool {
	st, _ := s.Installation(installationID)
	return st.Finalized
}

// PrepaymentBalances returns the submitPrepaymentBalances bodies accepted.
func (s *Sim) PrepaymentBalances(installationID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.inst(installationID).balances)
}

func (s *Sim) handleSubmitBillingData(w http.ResponseWriter, r *http.Request, in *installation) {
	body, raw, ok := readBody(w, r, submitBillingDataBody)
	if !ok {
		return
	}
	start, end, err := checkPeriod(body["period"])
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	eod, _ := parseDateTime(body["eod"].(string))
	oldest := s.now().Add(-maxStaleness)
	switch {
	case eod.Before(start) || eod.After(end):
		badRequest(w, "eod: must fall inside period")
		return
	case eod.Before(oldest):
		badRequest(w, "eod: more than 24h older than Vercel's clock ("+stamp(s.now())+")")
		return
	case end.Before(oldest):
		badRequest(w, "period.end: more than 24h older than Vercel's clock ("+stamp(s.now())+")")
		return
	}
	stampAt, _ := parseDateTime(body["timestamp"].(string))
	day := eod.UTC().Format(time.DateOnly)
	s.mu.Lock()
	in.billing = appendCapped(in.billing, raw)
	if old, ok := in.billingDays[day]; !ok || !stampAt.Before(old.timestamp) {
		in.billingDays[day] = billingDay{timestamp: stampAt, body: raw}
	}
	s.mu.Unlock()
	writeEmpty(w, http.StatusCreated)
}

func (s *Sim) handleSubmitPrepaymentBalances(w http.ResponseWriter, r *http.Request, in *installation) {
	_, raw, ok := readBody(w, r, prepaymentBalancesBody)
	if !ok {
		return
	}
	s.mu.Lock()
	in.balances = appendCapped(in.balances, raw)
	s.mu.Unlock()
	writeEmpty(w, http.StatusCreated)
}

// checkPeriod parses a schema-checked {start, end} and requires start < end.
func checkPeriod(v any) (start, end time.Time, err error) {
	p := v.(map[string]any)
	start, _ = parseDateTime(p["start"].(string))
	end, _ = parseDateTime(p["end"].(string))
	if !start.Before(end) {
		return start, end, fmt.Errorf("period: start must be before end")
	}
	return start, end, nil
}

// decimal parses a schema-checked money string or JSON number.
func decimal(v any) *big.Rat {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return new(big.Rat)
	}
	return r
}

// invoiceTotal is the sum of item totals less discounts, plus the item
// arithmetic problems that test.validate reports.
func invoiceTotal(body map[string]any) (total *big.Rat, problems []string) {
	total = new(big.Rat)
	for i, it := range body["items"].([]any) {
		item := it.(map[string]any)
		t := decimal(item["total"])
		total.Add(total, t)
		want := new(big.Rat).Mul(decimal(item["price"]), decimal(item["quantity"]))
		if want.Cmp(t) != 0 {
			problems = append(problems, fmt.Sprintf("items[%d].total %s != price %s x quantity %v", i, item["total"], item["price"], item["quantity"]))
		}
	}
	if ds, ok := body["discounts"].([]any); ok {
		for _, d := range ds {
			total.Sub(total, decimal(d.(map[string]any)["amount"]))
		}
	}
	return total, problems
}
