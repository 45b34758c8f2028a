package vercelsim

import (
	"encoding/json"
	"strings"
	"time"
)

// formatPeriod shows a billing period as days a person reads, e.g.
// "1–30 Nov 2026" or "2 Nov – 1 Dec 2026". Periods end exclusively (at the
// first instant of the next period), so the last day shown is the one
// before End. Unreadable timestamps are shown as sent.
func formatPeriod(p Period) string {
	start, err1 := parseDateTime(p.Start)
	end, err2 := parseDateTime(p.End)
	if err1 != nil || err2 != nil {
		return p.Start + " – " + p.End
	}
	start, end = start.UTC(), end.UTC()
	last := end
	if end.After(start) {
		last = end.Add(-time.Nanosecond)
	}
	switch {
	case sameDay(start, last):
		return last.Format("2 Jan 2006")
	case start.Year() == last.Year() && start.Month() == last.Month():
		return start.Format("2") + "–" + last.Format("2 Jan 2006")
	case start.Year() == last.Year():
		return start.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return start.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// formatTime is a request's time on the page: the day and the time to the
// millisecond, in UTC like Vercel's timestamps.
func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 15:04:05.000") }

// notificationView is a notification as the page shows it.
type notificationView struct {
	Level, Title, Message string
	Link                  string // href when it is a web link
	Target                string // href shown as text when it is not (an sso: link)
}

// notificationOf reads a stored notification; nil when there is none or
// it was cleared.
func notificationOf(raw json.RawMessage) *notificationView {
	var n struct{ Level, Title, Message, Href string }
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil || (n.Title == "" && n.Message == "") {
		return nil
	}
	v := &notificationView{Level: n.Level, Title: n.Title, Message: n.Message}
	if strings.HasPrefix(n.Href, "https://") || strings.HasPrefix(n.Href, "http://") {
		v.Link = n.Href
	} else {
		v.Target = n.Href
	}
	return v
}

// planNameOf is the name of a stored billing plan (its id when unnamed);
// "" when there is none.
func planNameOf(raw json.RawMessage) string {
	var p struct{ ID, Name string }
	if len(raw) == 0 || json.Unmarshal(raw, &p) != nil {
		return ""
	}
	return cmpOr(p.Name, p.ID)
}
