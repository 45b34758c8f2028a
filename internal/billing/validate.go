package billing

import "time"

// MaxFuture is how far in the future a usage record's time may lie.
const MaxFuture = 5 * time.Minute

// Problem is one thing wrong with a usage record. Key names the record's
// JSON key ("meter", "value", "at"); callers prefix it, e.g. "records[3].".
type Problem struct {
	Key     string
	Message string
}

// ValidateRecord checks r against its subject's meters and the open period
// starting at periodStart (a UTC calendar month, see Period), as of now.
func ValidateRecord(r Record, meters []Meter, periodStart, now time.Time) []Problem {
	var problems []Problem
	add := func(key, msg string) { problems = append(problems, Problem{key, msg}) }
	if r.ID == "" {
		add("id", "required")
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
	_, periodEnd := Period(periodStart)
	switch {
	case r.At.IsZero():
		add("at", "required")
	case r.At.Before(periodStart) || !r.At.Before(periodEnd):
		add("at", "outside the open billing period "+periodStart.UTC().Format("2006-01"))
	case r.At.After(now.Add(MaxFuture)):
		add("at", "more than 5 minutes in the future")
	}
	return problems
}

func hasMeter(meters []Meter, name string) bool {
	for _, m := range meters {
		if m.Name == name {
			return true
		}
	}
	return false
}
