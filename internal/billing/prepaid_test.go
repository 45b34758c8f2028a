package billing

import (
	"errors"
	"slices"
	"testing"

	"github.com/vercel-partner/partner-server/internal/money"
)

// TestDrawdownRefusesASumBeyondInt64Cents: two lines of 5 * 10^18 cents
// each fit in int64, their sum does not; a wrapped sum would be negative
// and credit the balance.
func TestDrawdownRefusesASumBeyondInt64Cents(t *testing.T) {
	t.Parallel()
	p := Plan{ID: "credits", Name: "Credits", Type: Prepayment,
		Meters: []Meter{meter("t", Interval, "1", "0"), meter("s", Interval, "1", "0")}}
	records := []Record{resRec("a", "t", "50000000000000000", "2027-02-02T00:00:00Z"),
		resRec("a", "s", "50000000000000000", "2027-02-02T00:00:00Z")}
	st, err := Compute([]Subject{{ResourceID: "a", Plan: p}}, records, febStart, febEnd, febNow)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := Drawdown(st); !errors.Is(err, money.ErrCentsRange) {
		t.Errorf("Drawdown = %v, %v; want ErrCentsRange", d, err)
	}
}

// TestInvoiceBillsUncoveredPrepaidUsage: the subscription lines as before,
// plus one item per prepaid subject whose balance fell short, unless its
// plan suspends instead.
func TestInvoiceBillsUncoveredPrepaidUsage(t *testing.T) {
	t.Parallel()
	st := mixed(t) // db_1 on the prepayment plan "credits"
	items, total := st.Invoice([]Draw{{ResourceID: "db_1", Cents: 2990490}, {ResourceID: "db_gone", Cents: 5}})
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	if want := []string{"Pro plan", "Storage", "Queries", "Credits: usage beyond the prepaid balance · ai-tokens"}; !slices.Equal(names, want) {
		t.Fatalf("items = %v, want %v", names, want)
	}
	last := items[len(items)-1]
	if last.ResourceID != "db_1" || last.BillingPlanID != "credits" || last.Total != "29904.90" || last.Price != "29904.90" ||
		last.Quantity.String() != "1" {
		t.Errorf("uncovered item = %+v", last)
	}
	if got := total.StringFixed(2); got != "1000029929.15" { // 1000000024.25 + 29904.90
		t.Errorf("total = %s", got)
	}
	for i := range st.Subjects {
		if st.Subjects[i].ResourceID == "db_1" {
			st.Subjects[i].Plan.Exhausted = ExhaustedSuspend
		}
	}
	if items, total := st.Invoice([]Draw{{ResourceID: "db_1", Cents: 2990490}}); len(items) != 3 || total.StringFixed(2) != "1000000024.25" {
		t.Errorf("a suspending plan's shortfall was invoiced: %d items, %s", len(items), total.StringFixed(2))
	}
}
