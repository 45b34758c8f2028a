package billing

import (
	"slices"
	"strings"
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
		{"id of 200 characters", func(r *Record) { r.ID = strings.Repeat("é", MaxRecordID) }, nil},
		{"id of 201 characters", func(r *Record) { r.ID = strings.Repeat("é", MaxRecordID+1) }, []string{"id"}},
		{"id with a control character", func(r *Record) { r.ID = "a\tb" }, []string{"id"}},
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
			for _, p := range ValidateRecord(r, meters, febStart, febEnd, febNow) {
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
	if p := ValidateRecord(late, meters, febStart, febEnd, febEnd.Add(2)); len(p) != 1 || p[0].Key != "at" {
		t.Errorf("a record of the next period was accepted: %v", p)
	}
}

// TestUsageWindowKeepsThePreviousPeriodOpenForTheGrace: usage for the last
// minutes of a month may arrive after midnight; the previous month takes
// it until the grace is over, and not a moment longer.
func TestUsageWindowKeepsThePreviousPeriodOpenForTheGrace(t *testing.T) {
	t.Parallel()
	janStart := utc("2027-01-01T00:00:00Z")
	tests := []struct {
		name       string
		now        string
		grace      time.Duration
		start, end time.Time
	}{
		{"mid-month", "2027-02-15T12:00:00Z", time.Hour, febStart, febEnd},
		{"a minute after midnight", "2027-02-01T00:01:00Z", time.Hour, janStart, febEnd},
		{"the grace's last millisecond", "2027-02-01T00:59:59.999Z", time.Hour, janStart, febEnd},
		{"the grace is over", "2027-02-01T01:00:00Z", time.Hour, febStart, febEnd},
		{"no grace", "2027-02-01T00:00:00Z", 0, febStart, febEnd},
	}
	for _, tt := range tests {
		start, end := UsageWindow(utc(tt.now), tt.grace)
		if !start.Equal(tt.start) || !end.Equal(tt.end) {
			t.Errorf("%s: window [%s, %s), want [%s, %s)", tt.name, start, end, tt.start, tt.end)
		}
	}
	now := utc("2027-02-01T00:01:00Z")
	start, end := UsageWindow(now, time.Hour)
	r := Record{ID: "r1", Meter: "q", Value: money.FromInt(1), At: utc("2027-01-31T23:59:00Z")}
	if p := ValidateRecord(r, []Meter{meter("q", Interval, "1", "0")}, start, end, now); len(p) != 0 {
		t.Errorf("late record for January's last minute refused: %v", p)
	}
	r.At = janStart.Add(-time.Millisecond)
	if p := ValidateRecord(r, []Meter{meter("q", Interval, "1", "0")}, start, end, now); len(p) != 1 || p[0].Key != "at" {
		t.Errorf("record for December accepted: %v", p)
	}
}
