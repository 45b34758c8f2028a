package billing

import (
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/money"
)

// Aggregate combines the values of one meter's records: Interval sums them,
// Total takes the value with the latest At, Rate takes the largest. Records
// with the same latest At yield the largest of their values, so the answer
// never depends on input order. No records aggregate to 0.
func Aggregate(meterType string, records []Record) (money.Decimal, error) {
	var agg money.Decimal
	switch meterType {
	case Interval:
		for _, r := range records {
			agg = agg.Add(r.Value)
		}
	case Rate:
		for _, r := range records {
			agg = agg.Max(r.Value)
		}
	case Total:
		var at time.Time
		for i, r := range records {
			if i == 0 || r.At.After(at) || (r.At.Equal(at) && r.Value.Cmp(agg) > 0) {
				agg, at = r.Value, r.At
			}
		}
	default:
		return money.Decimal{}, fmt.Errorf("billing: unknown meter type %q", meterType)
	}
	return agg, nil
}

// DayValue is Aggregate over the records in the UTC day containing now. The
// whole day counts, not only its part before now: records may be up to
// five minutes in the future, and cutting at now would let dayValue lag
// behind periodValue.
func DayValue(meterType string, records []Record, now time.Time) (money.Decimal, error) {
	start := dayStart(now)
	return Aggregate(meterType, within(records, start, start.AddDate(0, 0, 1)))
}

// within returns the records with start <= At < end.
func within(records []Record, start, end time.Time) []Record {
	var in []Record
	for _, r := range records {
		if !r.At.Before(start) && r.At.Before(end) {
			in = append(in, r)
		}
	}
	return in
}
