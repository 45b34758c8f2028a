package billing

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxFuture is how far in the future a usage record's time may lie.
const MaxFuture = 5 * time.Minute

// MaxRecordID bounds a usage record's id, in characters.
const MaxRecordID = 200

// Problem is one thing wrong with a usage record. Key names the record's
// JSON key ("meter", "value", "at"); callers prefix it, e.g. "records[3].".
type Problem struct {
	Key     string
	Message string
}

// UsageWindow returns the times [start, end) a usage record reported at
// now may carry: the open period, and also the previous one until grace
// after its end (usage that arrives late for the last minutes of a month).
func UsageWindow(now time.Time, grace time.Duration) (start, end time.Time) {
	start, end = Period(now)
	if now.Before(start.Add(grace)) {
		start, _ = Period(start.Add(-time.Millisecond))
	}
	return start, end
}

// ValidateRecord checks r against its subject's meters and the window
// [start, end) of times usage is accepted for (see UsageWindow), as of now.
func ValidateRecord(r Record, meters []Meter, start, end, now time.Time) []Problem {
	var problems []Problem
	add := func(key, msg string) { problems = append(problems, Problem{key, msg}) }
	switch {
	case r.ID == "":
		add("id", "required")
	case utf8.RuneCountInString(r.ID) > MaxRecordID || strings.ContainsFunc(r.ID, unicode.IsControl):
		add("id", "must be at most 200 characters without control characters")
	}
	switch {
	case r.Meter == "":
		add("meter", "required")
	case !hasMeter(meters, r.Meter):
		add("meter", "not a meter of this plan")
	}
	if r.Value.Sign() < 0 {
		add("value", "must not be negative")
	}
	switch {
	case r.At.IsZero():
		add("at", "required")
	case r.At.Before(start) || !r.At.Before(end):
		add("at", "outside the billing periods open for usage ("+openPeriods(start, end)+")")
	case r.At.After(now.Add(MaxFuture)):
		add("at", "more than 5 minutes in the future")
	}
	return problems
}

// openPeriods names the months in [start, end), e.g. "2026-02, 2026-03".
func openPeriods(start, end time.Time) string {
	var names []string
	for p := start; p.Before(end); p = p.AddDate(0, 1, 0) {
		names = append(names, p.UTC().Format("2006-01"))
	}
	return strings.Join(names, ", ")
}

func hasMeter(meters []Meter, name string) bool {
	for _, m := range meters {
		if m.Name == name {
			return true
		}
	}
	return false
}
