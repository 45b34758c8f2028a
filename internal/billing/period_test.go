package billing

import (
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPeriod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, at, start, end string
	}{
		{"mid February 2027, 28 days", "2027-02-15T10:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"},
		{"first instant", "2027-02-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"},
		{"last instant of February", "2027-02-28T23:59:59.999999999Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"},
		{"the end is the next period", "2027-03-01T00:00:00Z", "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z"},
		{"leap February", "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"},
		{"December rolls the year", "2026-12-31T23:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"an offset is read in UTC", "2027-03-01T01:00:00+02:00", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := Period(utc(tt.at))
			if !start.Equal(utc(tt.start)) || !end.Equal(utc(tt.end)) {
				t.Errorf("Period(%s) = [%s, %s), want [%s, %s)", tt.at, start, end, tt.start, tt.end)
			}
			if start.Location() != time.UTC {
				t.Errorf("start is in %s, want UTC", start.Location())
			}
		})
	}
}

func TestEOD(t *testing.T) {
	t.Parallel()
	feb, mar := utc("2027-02-01T00:00:00Z"), utc("2027-03-01T00:00:00Z")
	tests := []struct {
		name, now, start, end, want string
	}{
		{"mid day", "2027-02-15T13:05:00Z", "", "", "2027-02-15T23:59:59Z"},
		{"last day", "2027-02-28T00:00:00Z", "", "", "2027-02-28T23:59:59Z"},
		{"after the period", "2027-03-01T00:05:00Z", "", "", "2027-02-28T23:59:59Z"},
		{"before the period", "2027-01-31T22:00:00Z", "", "", "2027-02-01T23:59:59Z"},
		{"period ending mid day", "2027-02-10T09:00:00Z", "2027-02-01T00:00:00Z", "2027-02-10T10:00:00Z", "2027-02-10T09:59:59.999Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := feb, mar
			if tt.start != "" {
				start, end = utc(tt.start), utc(tt.end)
			}
			got := EOD(utc(tt.now), start, end)
			if !got.Equal(utc(tt.want)) {
				t.Errorf("EOD = %s, want %s", got, tt.want)
			}
			if got.Before(start) || !got.Before(end) {
				t.Errorf("EOD %s outside [%s, %s)", got, start, end)
			}
		})
	}
}

func TestInvoiceDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, start, end, want string
	}{
		{"a month: noon of the last day", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", "2027-02-28T12:00:00Z"},
		{"a partial period after noon", "2027-02-01T00:00:00Z", "2027-02-10T15:30:00Z", "2027-02-10T12:00:00Z"},
		{"a partial period before noon", "2027-02-01T00:00:00Z", "2027-02-10T08:00:00Z", "2027-02-10T07:59:59.999Z"},
		{"a period of one hour at night", "2027-02-10T01:00:00Z", "2027-02-10T02:00:00Z", "2027-02-10T01:59:59.999Z"},
		{"shorter than a millisecond", "2027-02-10T01:00:00Z", "2027-02-10T01:00:00.0005Z", "2027-02-10T01:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := utc(tt.start), utc(tt.end)
			got := InvoiceDate(start, end)
			if !got.Equal(utc(tt.want)) {
				t.Errorf("InvoiceDate = %s, want %s", got, tt.want)
			}
			if got.Before(start) || !got.Before(end) {
				t.Errorf("InvoiceDate %s outside [%s, %s)", got, start, end)
			}
		})
	}
}

func TestExternalID(t *testing.T) {
	t.Parallel()
	tests := []struct{ start, want string }{
		{"2027-02-01T00:00:00Z", "icfg_abc-2027-02"},
		{"2026-12-01T00:00:00Z", "icfg_abc-2026-12"},
		{"2027-03-01T01:00:00+02:00", "icfg_abc-2027-02"},
	}
	for _, tt := range tests {
		if got := ExternalID("icfg_abc", utc(tt.start)); got != tt.want {
			t.Errorf("ExternalID(%s) = %s, want %s", tt.start, got, tt.want)
		}
	}
}
