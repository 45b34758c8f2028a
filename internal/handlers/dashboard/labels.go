package dashboard

import (
	"strings"
	"time"
)

// invoiceStates are the words people read for Vercel's invoice states.
var invoiceStates = map[string]string{
	"draft":            "Draft",
	"pending":          "Pending",
	"scheduled":        "Scheduled",
	"invoiced":         "Invoiced",
	"paid":             "Paid",
	"notpaid":          "Not paid",
	"overdue":          "Overdue",
	"refund_requested": "Refund requested",
	"refunded":         "Refunded",
}

// stateLabel names an invoice state for people; a state Vercel adds
// later reads as its words ("partially_paid": "Partially paid").
func stateLabel(state string) string {
	if l, ok := invoiceStates[state]; ok {
		return l
	}
	if state == "" {
		return "Unknown"
	}
	words := strings.ReplaceAll(state, "_", " ")
	return strings.ToUpper(words[:1]) + words[1:]
}

// period shows a billing period as the days it covers: periods end at
// the first instant of the next one, so the last day shown is the day
// before End ("1–30 Nov 2026", "2 Nov – 1 Dec 2026").
func period(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "—"
	}
	start, last := start.UTC(), end.UTC()
	if last.After(start) {
		last = last.Add(-time.Nanosecond)
	}
	switch {
	case start.Year() == last.Year() && start.YearDay() == last.YearDay():
		return last.Format("2 Jan 2006")
	case start.Year() == last.Year() && start.Month() == last.Month():
		return start.Format("2") + "–" + last.Format("2 Jan 2006")
	case start.Year() == last.Year():
		return start.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return start.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
}
