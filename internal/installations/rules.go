package installations

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/money"
)

// Bounds shared by every door a write comes in through.
const (
	MaxResourceName   = 256
	MaxIdempotencyKey = 255
	MaxRefundReason   = 500
	MaxID             = 128
	// An installation's access token is sent on every call to Vercel;
	// Vercel's are far shorter than this.
	MaxAccessToken = 4096
	MaxTokenType   = 64
	MaxScopes      = 100 // scopes, and accepted policies, of an installation
	MaxScope       = 128
	MaxAccountText = 256  // account name, contact name
	MaxEmail       = 320  // RFC 5321's limit
	MaxURL         = 2048 // account url
)

// CheckTexts bounds a list of texts: at most maxItems, each at most
// maxLen bytes.
func CheckTexts(key string, items []string, maxItems, maxLen int) []apperr.Field {
	if len(items) > maxItems {
		return []apperr.Field{{Key: key, Message: fmt.Sprintf("at most %d entries", maxItems)}}
	}
	for i, it := range items {
		if len(it) > maxLen {
			return []apperr.Field{{Key: fmt.Sprintf("%s[%d]", key, i), Message: fmt.Sprintf("must be at most %d bytes", maxLen)}}
		}
	}
	return nil
}

// CheckAccount bounds the account texts Vercel sends with an installation.
func CheckAccount(a Account) []apperr.Field {
	var fields []apperr.Field
	for _, f := range []struct {
		key, value string
		limit      int
	}{
		{"account.name", a.Name, MaxAccountText}, {"account.url", a.URL, MaxURL},
		{"account.contact.email", a.ContactEmail, MaxEmail}, {"account.contact.name", a.ContactName, MaxAccountText},
	} {
		if len(f.value) > f.limit {
			fields = append(fields, apperr.Field{Key: f.key, Message: fmt.Sprintf("must be at most %d bytes", f.limit)})
		}
	}
	return fields
}

// ResourceName validates a resource name: trimmed, 1 to MaxResourceName
// characters of valid text without control characters. It returns the
// trimmed name.
func ResourceName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	bad := func(msg string) error {
		return apperr.InvalidFields("The name is not valid: "+msg, apperr.Field{Key: "name", Message: msg})
	}
	switch {
	case name == "":
		return "", bad("it is empty.")
	case !utf8.ValidString(name):
		return "", bad("it is not valid text.")
	case utf8.RuneCountInString(name) > MaxResourceName:
		return "", bad("it is longer than 256 characters.")
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", bad("it contains control characters.")
	}
	return name, nil
}

// IdempotencyKey validates an Idempotency-Key header value ("" is none).
func IdempotencyKey(k string) error {
	if len(k) > MaxIdempotencyKey || strings.ContainsFunc(k, func(c rune) bool { return c < 0x20 || c > 0x7e }) {
		return apperr.InvalidFields("bad Idempotency-Key header",
			apperr.Field{Key: "Idempotency-Key", Message: "must be at most 255 printable ASCII characters"})
	}
	return nil
}

// validID is what an id in a path may look like: ids that Vercel or we
// issue are short runs of letters, digits and a few separators.
var validID = regexp.MustCompile(`^[A-Za-z0-9_.:~-]+$`)

// CheckID validates an id taken from a request: valid UTF-8, no NUL,
// no slash, not "." or "..", at most MaxID bytes. key names it in the
// error's fields.
func CheckID(key, id string) error {
	if id == "" || len(id) > MaxID || id == "." || id == ".." || !validID.MatchString(id) {
		return apperr.InvalidFields("invalid "+key, apperr.Field{Key: key, Message: "must be 1 to 128 letters, digits or ._:~-"})
	}
	return nil
}

// moneyAmount is a refund amount as people type it: at most two decimals.
var moneyAmount = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)

// Refund validates a refund: total a decimal amount above zero with at
// most two decimals and, when invoiceTotal is known, not above it; reason
// 1 to MaxRefundReason characters of text. It returns both trimmed.
func Refund(total, reason, invoiceTotal string) (string, string, error) {
	total, reason = strings.TrimSpace(total), strings.TrimSpace(reason)
	var fields []apperr.Field
	amt, err := money.Parse(total)
	limit, limitErr := money.Parse(invoiceTotal)
	switch {
	case !moneyAmount.MatchString(total) || err != nil:
		fields = append(fields, apperr.Field{Key: "total", Message: "must be an amount like 12.50"})
	case amt.Sign() <= 0:
		fields = append(fields, apperr.Field{Key: "total", Message: "must be more than zero"})
	case limitErr == nil && amt.Cmp(limit) > 0:
		fields = append(fields, apperr.Field{Key: "total", Message: "must not exceed the invoice total"})
	}
	if reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > MaxRefundReason ||
		strings.ContainsFunc(reason, unicode.IsControl) {
		fields = append(fields, apperr.Field{Key: "reason", Message: "must be 1 to 500 characters of text"})
	}
	if len(fields) > 0 {
		msg := "The refund is not valid: the amount or the reason"
		if len(fields) == 1 {
			msg = "The refund is not valid: " + fields[0].Key + " " + fields[0].Message + "."
		}
		return "", "", apperr.InvalidFields(msg, fields...)
	}
	return total, reason, nil
}

// NothingBillable reports whether an installation can be finalized at
// once: its plan and the plan of every resource that may still be billed,
// live or deleted in an unsettled period, are free plans (or none), and
// no usage was reported for an unsettled period; linked resources are
// billed outside Vercel and do not count.
func (c Catalog) NothingBillable(in Installation, u Unbilled) bool {
	if u.Usage || !c.freePlan(in.BillingPlanID) {
		return false
	}
	for _, r := range u.Live {
		if !r.Linked() && !c.freePlan(r.BillingPlanID) {
			return false
		}
	}
	for _, d := range u.Deleted {
		if !c.freePlan(d.BillingPlanID) {
			return false
		}
	}
	return true
}

func (c Catalog) freePlan(id string) bool {
	if id == "" {
		return true
	}
	plan, ok := c.Plan(id)
	return ok && plan.Free()
}
