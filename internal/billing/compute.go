package billing

import (
	"fmt"
	"time"

	"github.com/vercel-partner/partner-server/internal/money"
)

// Line is one priced line of a statement: a meter of a subject, or the
// subject's flat fee.
type Line struct {
	ResourceID string // "": the installation
	PlanID     string
	PlanType   string
	Flat       bool   // the plan's flat fee rather than a meter
	Name       string // the meter's name, or the plan's for the flat fee
	Subject    string // the resource's name; "" for the installation
	Units      string
	Type       string // the meter type; "" for the flat fee

	PeriodValue money.Decimal // the meter's aggregate over the period
	DayValue    money.Decimal // the same over the usage day
	Included    money.Decimal
	Quantity    money.Decimal // billable: PeriodValue - Included, not below 0; 1 for the flat fee
	Price       money.Decimal // per unit
	Total       money.Decimal // Price x Quantity rounded half-up to cents
}

// Statement is a period's usage and charges, as of some moment.
type Statement struct {
	PeriodStart, PeriodEnd time.Time
	Day                    time.Time // start of the UTC day DayValue covers
	Lines                  []Line
	Total                  money.Decimal // the sum of the lines' totals
	Subjects               []Subject     // what was priced, in order
}

// flatUnits names the unit of a flat fee: one billing period.
const flatUnits = "month"

// Compute prices the period [start, end) for subjects as of now. Records
// outside the period, or for a subject or meter not in the subjects' plans,
// are ignored; a record at exactly end belongs to the next period. Lines
// come in subject order: the flat fee first, then the meters in plan order.
func Compute(subjects []Subject, records []Record, start, end, now time.Time) (Statement, error) {
	st := Statement{PeriodStart: start, PeriodEnd: end, Day: usageDay(now, start, end), Subjects: subjects}
	groups := groupRecords(records, start, end)
	st.Lines = make([]Line, 0, maxLines(subjects))
	seen := make(map[string]bool, len(subjects))
	for _, s := range subjects {
		if seen[s.ResourceID] {
			return Statement{}, fmt.Errorf("billing: subject %q appears twice", s.ResourceID)
		}
		seen[s.ResourceID] = true
		var err error
		if st.Lines, err = appendLines(st.Lines, s, groups, st.Day); err != nil {
			return Statement{}, err
		}
	}
	for _, l := range st.Lines {
		st.Total = st.Total.Add(l.Total)
	}
	return st, nil
}

// maxLines bounds the statement's lines: each meter, and a flat fee.
func maxLines(subjects []Subject) int {
	n := 0
	for _, s := range subjects {
		n += len(s.Plan.Meters) + 1
	}
	return n
}

type groupKey struct{ resourceID, meter string }

// groupRecords returns the records in [start, end) by subject and meter.
// Each record's key is hashed once, and the groups share one backing array
// filled after counting, so 10^5 records do not mean 10^5 slice growths.
func groupRecords(records []Record, start, end time.Time) map[groupKey][]Record {
	ids := make(map[groupKey]int)
	var counts []int
	group := make([]int, len(records)) // index into counts; -1: outside the period
	for i, r := range records {
		group[i] = -1
		if r.At.Before(start) || !r.At.Before(end) {
			continue
		}
		k := groupKey{r.ResourceID, r.Meter}
		id, ok := ids[k]
		if !ok {
			id = len(counts)
			ids[k] = id
			counts = append(counts, 0)
		}
		counts[id]++
		group[i] = id
	}
	slots := make([][]Record, len(counts))
	backing := make([]Record, 0, len(records))
	for id, c := range counts {
		slots[id] = backing[len(backing) : len(backing) : len(backing)+c]
		backing = backing[:len(backing)+c]
	}
	for i, id := range group {
		if id >= 0 {
			slots[id] = append(slots[id], records[i])
		}
	}
	groups := make(map[groupKey][]Record, len(ids))
	for k, id := range ids {
		groups[k] = slots[id]
	}
	return groups
}

// appendLines appends the lines of subject s.
func appendLines(lines []Line, s Subject, groups map[groupKey][]Record, day time.Time) ([]Line, error) {
	if err := ValidatePlan(s.Plan); err != nil {
		return nil, err
	}
	base := Line{ResourceID: s.ResourceID, PlanID: s.Plan.ID, PlanType: s.Plan.Type}
	if s.ResourceID != "" {
		base.Subject = s.Name
	}
	if p := s.Plan.Price; p != nil {
		l := base
		l.Flat, l.Name, l.Units = true, s.Plan.Name, flatUnits
		l.Quantity, l.Price, l.Total = money.FromInt(1), *p, p.RoundHalfUp(2)
		lines = append(lines, l)
	}
	for _, m := range s.Plan.Meters {
		l, err := meterLine(base, m, groups[groupKey{s.ResourceID, m.Name}], day)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func meterLine(l Line, m Meter, records []Record, day time.Time) (Line, error) {
	period, err := Aggregate(m.Type, records)
	if err != nil {
		return Line{}, err
	}
	today, err := DayValue(m.Type, records, day)
	if err != nil {
		return Line{}, err
	}
	l.Name, l.Units, l.Type = m.Name, m.Units, m.Type
	l.PeriodValue, l.DayValue, l.Included = period, today, m.Included
	l.Quantity = period.Sub(m.Included).ClampZero()
	l.Price = m.Price
	l.Total = m.Price.Mul(l.Quantity).RoundHalfUp(2)
	return l, nil
}
