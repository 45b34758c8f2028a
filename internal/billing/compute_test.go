package billing

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/money"
)

var (
	febStart = utc("2027-02-01T00:00:00Z")
	febEnd   = utc("2027-03-01T00:00:00Z")
	febNow   = utc("2027-02-15T12:00:00Z")
)

func meter(name, typ, price, included string) Meter {
	return Meter{Name: name, Units: "u", Type: typ, Price: money.MustParse(price), Included: money.MustParse(included)}
}

func plan(price string, meters ...Meter) Plan {
	p := Plan{ID: "pro", Name: "Pro", Type: Subscription, Meters: meters}
	if price != "" {
		p.Price = new(money.MustParse(price))
	}
	return p
}

func resRec(resource, meter, value, at string) Record {
	r := rec(meter, value, at)
	r.ResourceID = resource
	return r
}

// describe renders a line as "resource/name period day qty price total".
func describe(l Line) string {
	return fmt.Sprintf("%s/%s %s %s %s %s %s", l.ResourceID, l.Name,
		l.PeriodValue, l.DayValue, l.Quantity, l.Price, l.Total.StringFixed(2))
}

func TestCompute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		subjects []Subject
		records  []Record
		now      string // default febNow
		want     []string
		total    string
	}{
		{
			name:     "interval sums 0.1 + 0.2 exactly",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "10", "0"))}},
			records:  []Record{resRec("db", "q", "0.1", "2027-02-15T01:00:00Z"), resRec("db", "q", "0.2", "2027-02-15T02:00:00Z")},
			want:     []string{"db/q 0.3 0.3 0.3 10 3.00"},
			total:    "3.00",
		},
		{
			name:     "included above usage bills nothing",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "0.10", "1000"))}},
			records:  []Record{resRec("db", "q", "400", "2027-02-03T00:00:00Z")},
			want:     []string{"db/q 400 0 0 0.1 0.00"},
			total:    "0.00",
		},
		{
			name:     "included is subtracted before pricing",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "0.10", "1000"))}},
			records:  []Record{resRec("db", "q", "1042.5", "2027-02-03T00:00:00Z")},
			want:     []string{"db/q 1042.5 0 42.5 0.1 4.25"},
			total:    "4.25",
		},
		{
			name: "line totals round half-up at .005 before summing",
			subjects: []Subject{
				{ResourceID: "a", Plan: plan("", meter("q", Interval, "0.0025", "0"))},
				{ResourceID: "b", Plan: plan("", meter("q", Interval, "0.0025", "0"))},
				{ResourceID: "c", Plan: plan("", meter("q", Interval, "0.004", "0"))},
			},
			records: []Record{
				resRec("a", "q", "2", "2027-02-03T00:00:00Z"),
				resRec("b", "q", "2", "2027-02-03T00:00:00Z"),
				resRec("c", "q", "1", "2027-02-03T00:00:00Z"),
			},
			want:  []string{"a/q 2 0 2 0.0025 0.01", "b/q 2 0 2 0.0025 0.01", "c/q 1 0 1 0.004 0.00"},
			total: "0.02", // unrounded the sum would be 0.014
		},
		{
			name:     "February 2027 boundaries: the record at the end goes to March",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "1", "0"))}},
			records: []Record{
				resRec("db", "q", "1", "2027-01-31T23:59:59.999Z"),
				resRec("db", "q", "2", "2027-02-01T00:00:00Z"),
				resRec("db", "q", "4", "2027-02-28T23:59:59.999Z"),
				resRec("db", "q", "8", "2027-03-01T00:00:00Z"),
			},
			now:   "2027-02-28T18:00:00Z",
			want:  []string{"db/q 6 4 6 1 6.00"},
			total: "6.00",
		},
		{
			name:     "the largest quantities a day can hold",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "0.000001", "0"))}},
			records: []Record{
				resRec("db", "q", "1000000000000000", "2027-02-15T01:00:00Z"),
				resRec("db", "q", "1000000000000000", "2027-02-15T02:00:00Z"),
				resRec("db", "q", "9223372036854775807", "2027-02-14T02:00:00Z"),
			},
			want:  []string{"db/q 9225372036854775807 2000000000000000 9225372036854775807 0.000001 9225372036854.78"},
			total: "9225372036854.78",
		},
		{
			name:     "total takes the latest by at, rate the maximum",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("gb", Total, "0.10", "0"), meter("conn", Rate, "1", "0"))}},
			records: []Record{
				resRec("db", "gb", "50", "2027-02-15T03:00:00Z"),
				resRec("db", "gb", "70", "2027-02-10T00:00:00Z"),
				resRec("db", "gb", "42.5", "2027-02-15T04:00:00Z"),
				resRec("db", "conn", "3", "2027-02-15T03:00:00Z"),
				resRec("db", "conn", "12", "2027-02-02T00:00:00Z"),
			},
			want:  []string{"db/gb 42.5 42.5 42.5 0.1 4.25", "db/conn 12 3 12 1 12.00"},
			total: "16.25",
		},
		{
			name:     "dayValue covers the day, periodValue the month",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "1", "0"), meter("gb", Total, "1", "0"))}},
			records: []Record{
				resRec("db", "q", "100", "2027-02-13T10:00:00Z"),
				resRec("db", "q", "10", "2027-02-14T23:59:59Z"),
				resRec("db", "q", "1", "2027-02-15T00:00:00Z"),
				resRec("db", "q", "2", "2027-02-15T12:03:00Z"), // a little after now
				resRec("db", "gb", "9", "2027-02-14T10:00:00Z"),
			},
			want:  []string{"db/q 113 3 113 1 113.00", "db/gb 9 0 9 1 9.00"},
			total: "122.00",
		},
		{
			name:     "after the period the last day is the usage day",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "1", "0"))}},
			records:  []Record{resRec("db", "q", "5", "2027-02-28T10:00:00Z"), resRec("db", "q", "7", "2027-03-01T10:00:00Z")},
			now:      "2027-03-01T10:05:00Z",
			want:     []string{"db/q 5 5 5 1 5.00"},
			total:    "5.00",
		},
		{
			name: "a flat price line per subject, then the meters",
			subjects: []Subject{
				{Plan: plan("20", meter("q", Interval, "0.5", "0"))},
				{ResourceID: "db", Plan: plan("9.995")},
			},
			records: []Record{resRec("", "q", "3", "2027-02-15T01:00:00Z")},
			want:    []string{"/Pro 0 0 1 20 20.00", "/q 3 3 3 0.5 1.50", "db/Pro 0 0 1 9.995 10.00"},
			total:   "31.50",
		},
		{
			name:     "records of other subjects and meters are ignored",
			subjects: []Subject{{ResourceID: "db", Plan: plan("", meter("q", Interval, "1", "0"))}},
			records: []Record{
				resRec("other", "q", "5", "2027-02-15T01:00:00Z"),
				resRec("", "q", "5", "2027-02-15T01:00:00Z"),
				resRec("db", "old", "5", "2027-02-15T01:00:00Z"),
			},
			want:  []string{"db/q 0 0 0 1 0.00"},
			total: "0.00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := febNow
			if tt.now != "" {
				now = utc(tt.now)
			}
			st, err := Compute(tt.subjects, tt.records, febStart, febEnd, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range st.Lines {
				got = append(got, describe(l))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(tt.want, "\n      "))
			}
			if st.Total.StringFixed(2) != tt.total || st.Total.Scale() > 2 {
				t.Errorf("total = %s, want %s", st.Total, tt.total)
			}
		})
	}
}

func TestComputeRefuses(t *testing.T) {
	t.Parallel()
	good := plan("", meter("q", Interval, "1", "0"))
	tests := []struct {
		name     string
		subjects []Subject
	}{
		{"the same subject twice", []Subject{{ResourceID: "db", Plan: good}, {ResourceID: "db", Plan: good}}},
		{"an unknown meter type", []Subject{{Plan: plan("", meter("q", "sum", "1", "0"))}}},
		{"a meter twice", []Subject{{Plan: plan("", meter("q", Interval, "1", "0"), meter("q", Rate, "1", "0"))}}},
		{"a meter without a name", []Subject{{Plan: plan("", meter("", Interval, "1", "0"))}}},
		{"an unknown plan type", []Subject{{Plan: Plan{ID: "x", Type: "free"}}}},
		{"a negative price", []Subject{{Plan: Plan{ID: "x", Type: Subscription, Price: new(money.FromCents(-1))}}}},
		{"a negative meter price", []Subject{{Plan: plan("", Meter{Name: "q", Type: Rate, Price: money.FromCents(-1)})}}},
		{"a negative included", []Subject{{Plan: plan("", Meter{Name: "q", Type: Rate, Included: money.FromCents(-1)})}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compute(tt.subjects, nil, febStart, febEnd, febNow); err == nil {
				t.Error("Compute succeeded")
			}
		})
	}
	if _, err := Compute([]Subject{{Plan: good}, {ResourceID: "db", Plan: good}}, nil, febStart, febEnd, febNow); err != nil {
		t.Errorf("a valid statement failed: %v", err)
	}
}

func BenchmarkCompute(b *testing.B) {
	const subjects, meters, perMeter = 10_000, 3, 10
	p := plan("20", meter("q", Interval, "0.000001", "1000"), meter("gb", Total, "0.10", "5"), meter("conn", Rate, "0.5", "0"))
	subs := make([]Subject, subjects)
	records := make([]Record, 0, subjects*meters*perMeter)
	for i := range subs {
		id := fmt.Sprintf("res_%05d", i)
		subs[i] = Subject{ResourceID: id, Plan: p}
		for _, m := range p.Meters {
			for k := range perMeter {
				records = append(records, Record{
					ResourceID: id, Meter: m.Name,
					Value: money.MustParse(fmt.Sprintf("%d.%03d", i*k, k)),
					At:    febStart.Add(time.Duration(k*36) * time.Hour),
				})
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(subs, records, febStart, febEnd, febNow); err != nil {
			b.Fatal(err)
		}
	}
}
