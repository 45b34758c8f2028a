package billing

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/money"
)

// rec builds a record; value is a JSON number, as usage values arrive.
func rec(meter, value, at string) Record {
	v, err := money.ParseNumber(json.Number(value))
	if err != nil {
		panic(err)
	}
	return Record{Meter: meter, Value: v, At: utc(at)}
}

func TestAggregate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typ     string
		records []Record
		want    string
	}{
		{"interval sums exactly", Interval, []Record{
			rec("m", "0.1", "2027-02-01T00:00:00Z"), rec("m", "0.2", "2027-02-02T00:00:00Z"),
		}, "0.3"},
		{"interval beyond int64", Interval, []Record{
			rec("m", "9000000000000000000", "2027-02-01T00:00:00Z"), rec("m", "9000000000000000000", "2027-02-02T00:00:00Z"),
		}, "18000000000000000000"},
		{"total takes the latest by at", Total, []Record{
			rec("m", "5", "2027-02-03T00:00:00Z"), rec("m", "9", "2027-02-01T00:00:00Z"), rec("m", "7", "2027-02-02T00:00:00Z"),
		}, "5"},
		{"total tie on at takes the larger", Total, []Record{
			rec("m", "3", "2027-02-03T00:00:00Z"), rec("m", "4", "2027-02-03T00:00:00Z"), rec("m", "2", "2027-02-03T00:00:00Z"),
		}, "4"},
		{"total may fall", Total, []Record{
			rec("m", "100", "2027-02-01T00:00:00Z"), rec("m", "0", "2027-02-02T00:00:00Z"),
		}, "0"},
		{"rate takes the maximum", Rate, []Record{
			rec("m", "2.5", "2027-02-03T00:00:00Z"), rec("m", "7.25", "2027-02-01T00:00:00Z"), rec("m", "7.2", "2027-02-02T00:00:00Z"),
		}, "7.25"},
		{"no records", Total, nil, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every order of the input must give the same answer.
			for _, order := range permutations(len(tt.records)) {
				in := make([]Record, len(order))
				for i, j := range order {
					in[i] = tt.records[j]
				}
				got, err := Aggregate(tt.typ, in)
				if err != nil {
					t.Fatal(err)
				}
				if got.Cmp(money.MustParse(tt.want)) != 0 {
					t.Fatalf("Aggregate(%s, order %v) = %s, want %s", tt.typ, order, got, tt.want)
				}
			}
		})
	}
	if _, err := Aggregate("sum", nil); err == nil {
		t.Error("Aggregate accepted an unknown meter type")
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			out = append(out, slices.Insert(slices.Clone(p), i, n-1))
		}
	}
	return out
}

func TestDayValue(t *testing.T) {
	t.Parallel()
	records := []Record{
		rec("m", "1", "2027-02-14T23:59:59.999Z"),
		rec("m", "2", "2027-02-15T00:00:00Z"),
		rec("m", "3", "2027-02-15T12:00:00Z"),
		rec("m", "4", "2027-02-15T23:59:59.999Z"),
		rec("m", "8", "2027-02-16T00:00:00Z"),
	}
	now := utc("2027-02-15T12:00:00Z")
	tests := []struct{ typ, want string }{
		{Interval, "9"}, // 2+3+4: the whole day, the part after now too
		{Total, "4"},
		{Rate, "4"},
	}
	for _, tt := range tests {
		got, err := DayValue(tt.typ, records, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cmp(money.MustParse(tt.want)) != 0 {
			t.Errorf("DayValue(%s) = %s, want %s", tt.typ, got, tt.want)
		}
	}
	if got, _ := DayValue(Interval, records, now.Add(-24*time.Hour)); got.String() != "1" {
		t.Errorf("DayValue the day before = %s, want 1", got)
	}
}
