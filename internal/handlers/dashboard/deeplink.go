package dashboard

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// validRef bounds ids that come from Vercel (installation, user, resource,
// invoice, project and check ids).
var validRef = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// maxURLLen bounds a `url` deep link.
const maxURLLen = 2048

// Dashboard paths the callback can land on.
const (
	PathDashboard = "/dashboard"
	PathResources = "/dashboard/resources"
	PathInvoices  = "/dashboard/invoices"
	PathSupport   = "/dashboard/support"
)

// pathTargets maps Vercel's `path` parameter to a dashboard page.
var pathTargets = map[string]string{
	"billing":    PathInvoices,
	"usage":      PathInvoices + "#usage",
	"secrets":    PathResources,
	"support":    PathSupport,
	"onboarding": PathDashboard + "#getting-started",
}

// Linker turns the context parameters of Vercel's redirect into the page
// to land on. Resources and invoices must belong to the installation.
type Linker struct {
	Origin    *url.URL // public_url: the only origin `url` may point at
	Resources installations.ResourceStore
	Invoices  installations.InvoiceStore
	Items     installations.ExperimentationStore
	Checks    CheckRuns // optional
}

// Target returns the local path (with query or fragment) to redirect to.
// Priority: a same-origin `url`, then `invoice_id`, `experimentation_item_id`
// (an item's page), `check_id` (the check run's page), `resource_id`
// (keeping `project_id` and `check_id`), `path`, else the dashboard. Anything
// unknown, malformed or not the installation's is ignored.
func (l *Linker) Target(ctx context.Context, installationID string, q url.Values) string {
	if t, ok := l.sameOrigin(q.Get("url")); ok {
		return t
	}
	if id := q.Get("invoice_id"); validRef.MatchString(id) && l.Invoices != nil {
		if _, err := l.Invoices.GetInvoice(ctx, installationID, id); err == nil {
			return PathInvoices + "/" + url.PathEscape(id)
		}
	}
	if id := q.Get("experimentation_item_id"); id != "" {
		if items, err := findItems(ctx, l.Items, installationID, id); err == nil && len(items) > 0 {
			return itemPage(items[0].ID)
		}
	}
	if id := q.Get("check_id"); validRef.MatchString(id) && l.Checks != nil {
		if run, err := l.Checks.CheckRun(ctx, installationID, id); err == nil {
			return PathChecks + "/" + url.PathEscape(run.Name)
		}
	}
	if id := q.Get("resource_id"); validRef.MatchString(id) && l.Resources != nil {
		if _, err := l.Resources.GetResource(ctx, installationID, id); err == nil {
			return ResourcePage(id, q.Get("project_id"), q.Get("check_id"), q.Get("path") == "secrets")
		}
	}
	if t, ok := pathTargets[q.Get("path")]; ok {
		return t
	}
	return PathDashboard
}

// ResourcePage is the path of a resource's page, keeping a valid project
// and check id as context.
func ResourcePage(resourceID, projectID, checkID string, secrets bool) string {
	p := PathResources + "/" + url.PathEscape(resourceID)
	ctx := url.Values{}
	if validRef.MatchString(projectID) {
		ctx.Set("project_id", projectID)
	}
	if validRef.MatchString(checkID) {
		ctx.Set("check_id", checkID)
	}
	if len(ctx) > 0 {
		p += "?" + ctx.Encode()
	}
	if secrets {
		p += "#secrets"
	}
	return p
}

// sameOrigin returns raw as a local path when it points at our own origin.
func (l *Linker) sameOrigin(raw string) (string, bool) {
	if raw == "" || len(raw) > maxURLLen || l.Origin == nil {
		return "", false
	}
	if strings.ContainsAny(raw, "\\\x00\r\n\t") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if u.IsAbs() || u.Host != "" {
		if !strings.EqualFold(u.Scheme, l.Origin.Scheme) || !strings.EqualFold(u.Host, l.Origin.Host) {
			return "", false
		}
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || p == "/callback" {
		return "", false
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		p += "#" + u.EscapedFragment()
	}
	return p, true
}
