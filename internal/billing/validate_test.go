package billing

import (
	"slices"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/money"
)

func TestValidateRecord(t *testing.T) {
	t.Parallel()
	meters := []Meter{meter("q", Interval, "1", "0")}
	good := Record{ID: "r1", Meter: "q", Value: money.MustParse("1.5"), At: febNow}
	tests := []struct {
		name   string
		change func(*Record)
		want   []string // keys
	}{
		{"valid", func(*Record) {}, nil},
		{"zero value", func(r *Record) { r.Value = money.Decimal{} }, nil},
		{"at the period start", func(r *Record) { r.At = febStart }, nil},
		{"five minutes ahead", func(r *Record) { r.At = febNow.Add(MaxFuture) }, nil},
		{"no id", func(r *Record) { r.ID = "" }, []string{"id"}},
		{"unknown meter", func(r *Record) { r.Meter = "nope" }, []string{"meter"}},
		{"no meter", func(r *Record) { r.Meter = "" }, []string{"meter"}},
		{"negative value", func(r *Record) { r.Value = money.FromCents(-1) }, []string{"value"}},
		{"more than five minutes ahead", func(r *Record) { r.At = febNow.Add(MaxFuture + 1) }, []string{"at"}},
		{"before the period", func(r *Record) { r.At = febStart.Add(-1) }, []string{"at"}},
		{"at the period end", func(r *Record) { r.At = febEnd }, []string{"at"}},
		{"no time", func(r *Record) { r.At = time.Time{} }, []string{"at"}},
		{"everything wrong", func(r *Record) { *r = Record{Value: money.FromCents(-1)} }, []string{"id", "meter", "value", "at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.change(&r)
			var keys []string
			for _, p := range ValidateRecord(r, meters, febStart, febNow) {
				keys = append(keys, p.Key)
				if p.Message == "" {
					t.Errorf("%s: empty message", p.Key)
				}
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("problems at %v, want %v", keys, tt.want)
			}
		})
	}
	// Near the month's end, a record just inside the next month is refused
	// although it is not in the future.
	late := good
	late.At = febEnd.Add(1)
	if p := ValidateRecord(late, meters, febStart, febEnd.Add(2)); len(p) != 1 || p[0].Key != "at" {
		t.Errorf("a record of the next period was accepted: %v", p)
	}
}
