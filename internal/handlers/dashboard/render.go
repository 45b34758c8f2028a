package dashboard

import (
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/installations"

	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/web"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"error", "signin", "overview", "resources", "resource", "invoices", "invoice", "support", "rotate", "check", "item"}

// pages holds the parsed templates and the stylesheet, built once at start.
type pages struct {
	byName map[string]*template.Template
	style  []byte
}

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"period":       period,
	"stateLabel":   stateLabel,
	"notification": notificationOf,
}

func parsePages() (*pages, error) {
	byName, style, err := handlers.ParsePages(web.Templates, "templates", pageNames, templateFuncs, "style.css")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	return &pages{byName: byName, style: style}, nil
}

// view is what every page template receives.
type view struct {
	Title          string
	Product        string
	Account        string
	InstallationID string
	Session        *installations.Session
	Nav            string
	Notice         string
	// NoticeKind colours the notice: done (green) or pending (amber).
	NoticeKind string
	RequestID  string
	// FormError is a refused form's message, shown beside the form.
	FormError string
	// FormName names the form it belongs to ("rename", "plan").
	FormName string
	Support  Support
	Data     any
}

// render executes a page into a buffer, so a template error never sends
// half a page, then writes it.
func (b *Browser) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Product, v.RequestID, v.Support = b.ProductName, handlers.RequestID(r.Context()), b.Support
	if v.Notice != "" && v.NoticeKind == "" {
		_, v.NoticeKind = notice(r.URL.Query())
	}
	if s, ok := sessionFrom(r.Context()); ok {
		v.Session, v.InstallationID = &s.Session, s.Session.InstallationID
		if v.Account == "" {
			v.Account = s.account
		}
	}
	var buf bytes.Buffer
	if err := b.pages.byName[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		b.Log.ErrorContext(r.Context(), "browser: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorView struct {
	Status           int
	Heading, Message string
}

// renderError shows an error page; messages are fixed text, never input.
func (b *Browser) renderError(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	b.render(w, r, status, "error", view{Title: heading, Data: errorView{Status: status, Heading: heading, Message: message}})
}

// renderAppError shows err's safe message with the status of its kind;
// internal errors are logged once and shown as a generic failure.
func (b *Browser) renderAppError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOfErr(err)
	heading, message := headingFor(status), "Please try again in a moment."
	if e, ok := appErr(err); ok && e.Kind != apperr.Internal {
		message = e.Message
		if h, ok := codeHeadings[e.Code]; ok {
			heading = h
		}
	}
	if status >= 500 {
		b.Log.ErrorContext(r.Context(), "browser: request failed", "route", handlers.RoutePattern(r), "err", err)
	}
	b.renderError(w, r, status, heading, message)
}

// codeHeadings are headings for errors a status alone would mislabel.
var codeHeadings = map[string]string{
	"installation_uninstalled": "This integration was uninstalled",
}

func headingFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "This request could not be used"
	case http.StatusUnauthorized:
		return "Sign-in failed"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusConflict:
		return "Not possible right now"
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return "Vercel did not answer"
	}
	return "Something went wrong"
}

func (b *Browser) handleStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b.pages.style)
}
