package billing

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/vercel-partner/partner-server/internal/money"
)

// mixed is an installation on a subscription plan with a flat fee, and a
// resource on a prepayment plan.
func mixed(t *testing.T) Statement {
	t.Helper()
	sub := Plan{ID: "pro200", Name: "Pro", Type: Subscription, Price: new(money.MustParse("20.00")), Meters: []Meter{
		{Name: "Storage", Units: "GB", Type: Total, Price: money.MustParse("0.10"), Included: money.MustParse("10")},
		{Name: "Queries", Units: "1k queries", Type: Interval, Price: money.MustParse("0.000001")},
		{Name: "Idle", Units: "h", Type: Interval, Price: money.MustParse("1")},
	}}
	pre := Plan{ID: "credits", Name: "Credits", Type: Prepayment, Meters: []Meter{
		{Name: "Tokens", Units: "1M tokens", Type: Interval, Price: money.MustParse("0.125")},
	}}
	records := []Record{
		resRec("", "Storage", "52.5", "2027-02-15T10:00:00Z"),
		resRec("", "Queries", "1000000000000000", "2027-02-14T10:00:00Z"),
		resRec("", "Queries", "1e3", "2027-02-15T10:00:00Z"),
		resRec("db_1", "Tokens", "3", "2027-02-15T10:00:00Z"),
		resRec("db_1", "Tokens", "0.02", "2027-02-15T11:00:00Z"),
	}
	st, err := Compute([]Subject{{Name: "Acme", Plan: sub}, {ResourceID: "db_1", Name: "ai-tokens", Plan: pre}}, records, febStart, febEnd, febNow)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBillingItemsJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(mixed(t).BillingItems())
	if err != nil {
		t.Fatal(err)
	}
	want := `[` +
		`{"billingPlanId":"pro200","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"},` +
		`{"billingPlanId":"pro200","name":"Storage","details":"52.5 GB used, 10 included","price":"0.10","quantity":42.5,"units":"GB","total":"4.25"},` +
		`{"billingPlanId":"pro200","name":"Queries","price":"0.000001","quantity":1000000000001000,"units":"1k queries","total":"1000000000.00"},` +
		`{"billingPlanId":"pro200","name":"Idle","price":"1.00","quantity":0,"units":"h","total":"0.00"},` +
		`{"billingPlanId":"credits","resourceId":"db_1","name":"Tokens · ai-tokens","price":"0.125","quantity":3.02,"units":"1M tokens","total":"0.38"}]`
	if string(b) != want {
		t.Errorf("items:\n got  %s\n want %s", b, want)
	}
}

func TestUsageJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(mixed(t).Usage())
	if err != nil {
		t.Fatal(err)
	}
	want := `[` +
		`{"name":"Storage","type":"total","units":"GB","dayValue":52.5,"periodValue":52.5,"planValue":10},` +
		`{"name":"Queries","type":"interval","units":"1k queries","dayValue":1000,"periodValue":1000000000001000},` +
		`{"name":"Idle","type":"interval","units":"h","dayValue":0,"periodValue":0},` +
		`{"resourceId":"db_1","name":"Tokens","type":"interval","units":"1M tokens","dayValue":3.02,"periodValue":3.02}]`
	if string(b) != want {
		t.Errorf("usage:\n got  %s\n want %s", b, want)
	}
	if u := (Statement{}).Usage(); u == nil {
		t.Error("an empty statement's usage is nil; it must marshal as []")
	}
}

func TestInvoiceItems(t *testing.T) {
	t.Parallel()
	st := mixed(t)
	var names []string
	for _, it := range st.InvoiceItems() {
		names = append(names, it.Name)
	}
	// Idle is zero and Tokens is prepaid: neither is invoiced.
	if want := []string{"Pro plan", "Storage", "Queries"}; !slices.Equal(names, want) {
		t.Errorf("invoice items = %v, want %v", names, want)
	}
	if got := st.InvoiceTotal().StringFixed(2); got != "1000000024.25" {
		t.Errorf("invoice total = %s", got)
	}
	if got := st.Total.StringFixed(2); got != "1000000024.63" {
		t.Errorf("statement total = %s", got)
	}
}

// TestItemsNameTheirResource: one plan on three resources gives three
// lines a reader can tell apart, each still carrying its resourceId; an
// installation's lines name no resource.
func TestItemsNameTheirResource(t *testing.T) {
	t.Parallel()
	pro := Plan{ID: "pro200", Name: "Pro", Type: Subscription, Price: new(money.MustParse("20.00")),
		Meters: []Meter{meter("queries", Interval, "0.01", "0")}}
	team := Plan{ID: "team", Name: "Team plan", Type: Subscription, Price: new(money.MustParse("5.00"))}
	subjects := []Subject{{Name: "Acme", Plan: team},
		{ResourceID: "db_1", Name: "main-db", Plan: pro}, {ResourceID: "db_2", Name: "preview-db", Plan: pro}, {ResourceID: "db_3", Name: "", Plan: pro}}
	records := []Record{resRec("db_1", "queries", "100", "2027-02-15T10:00:00Z")}
	st, err := Compute(subjects, records, febStart, febEnd, febNow)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range st.InvoiceItems() {
		got = append(got, it.ResourceID+"|"+it.Name)
	}
	want := []string{"|Team plan", "db_1|Pro plan · main-db", "db_1|queries · main-db", "db_2|Pro plan · preview-db", "db_3|Pro plan"}
	if !slices.Equal(got, want) {
		t.Errorf("items:\n got  %q\n want %q", got, want)
	}
}

func TestDrawdown(t *testing.T) {
	t.Parallel()
	pre := func(id string, price *money.Decimal, ms ...Meter) Subject {
		return Subject{ResourceID: id, Plan: Plan{ID: "credits", Type: Prepayment, Price: price, Meters: ms}}
	}
	tokens := meter("t", Interval, "0.125", "1")
	tests := []struct {
		name     string
		subjects []Subject
		records  []Record
		want     []Draw
	}{
		{
			name:     "usage above included at the meter price, half-up",
			subjects: []Subject{pre("a", nil, tokens)},
			records:  []Record{resRec("a", "t", "4.02", "2027-02-02T00:00:00Z")}, // 3.02 x 0.125 = 0.3775
			want:     []Draw{{ResourceID: "a", Cents: 38}},
		},
		{
			name:     "one draw per subject, lines summed in cents",
			subjects: []Subject{pre("a", nil, tokens, meter("s", Rate, "0.005", "0")), pre("b", nil, tokens)},
			records: []Record{
				resRec("a", "t", "2", "2027-02-02T00:00:00Z"), resRec("a", "s", "1", "2027-02-02T00:00:00Z"),
			},
			want: []Draw{{ResourceID: "a", Cents: 14}, {ResourceID: "b", Cents: 0}}, // 13 + 1
		},
		{
			name:     "subscription plans draw nothing, a prepaid flat fee does",
			subjects: []Subject{{ResourceID: "s", Plan: plan("5", tokens)}, pre("", new(money.MustParse("2.50")))},
			records:  []Record{resRec("s", "t", "100", "2027-02-02T00:00:00Z")},
			want:     []Draw{{ResourceID: "", Cents: 250}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Compute(tt.subjects, tt.records, febStart, febEnd, febNow)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Drawdown(st)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Drawdown = %v, want %v", got, tt.want)
			}
		})
	}
}
