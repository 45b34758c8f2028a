package billing

import "time"

// Period returns the UTC calendar month containing t, as [start, end).
func Period(t time.Time) (start, end time.Time) {
	t = t.UTC()
	start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

// dayStart returns the start of the UTC day containing t.
func dayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// usageDay is the UTC day whose usage dayValue shows: the day of now, or of
// the period's first or last instant when now lies outside the period (an
// ended period is still submitted for a while after its end).
func usageDay(now, start, end time.Time) time.Time {
	switch {
	case now.Before(start):
		now = start
	case !now.Before(end):
		now = end.Add(-time.Millisecond)
	}
	return dayStart(now)
}

// EOD returns the end of the usage day for submitBillingData: 23:59:59.000
// UTC of now's day, kept inside [start, end) as Vercel requires.
func EOD(now, start, end time.Time) time.Time {
	eod := usageDay(now, start, end).Add(24*time.Hour - time.Second)
	if !eod.Before(end) {
		eod = end.Add(-time.Millisecond) // a period ending mid-day
	}
	return eod.UTC()
}

// ExternalID is the invoice's externalId: "<installationId>-<YYYY-MM>".
func ExternalID(installationID string, periodStart time.Time) string {
	return installationID + "-" + periodStart.UTC().Format("2006-01")
}

// InvoiceDate returns a date inside [start, end): noon UTC of the period's
// last day, which is that same calendar day in every time zone from UTC-12
// to UTC+11. A period ending before noon of its last day gets end minus
// 1 ms (Vercel's times have millisecond precision), and one shorter than
// that gets start.
func InvoiceDate(start, end time.Time) time.Time {
	last := end.Add(-time.Millisecond)
	date := dayStart(last).Add(12 * time.Hour)
	if date.After(last) {
		date = last
	}
	if date.Before(start) {
		date = start
	}
	return date.UTC()
}
