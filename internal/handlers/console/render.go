package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/web"
)

// pageNames are the console's page templates, each parsed with the
// console's own layout.
var pageNames = []string{"error", "signedout", "installations", "installation", "deliveries", "webhooks", "audit"}

type pages struct {
	byName map[string]*template.Template
	style  []byte
}

var templateFuncs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"month":        func(t time.Time) string { return t.UTC().Format(periodLayout) },
	"notification": notificationOf,
	"deliveryTable": func(rows []deliveries.Delivery, canAct bool, back string) deliveryTable {
		return deliveryTable{Rows: rows, CanAct: canAct, Back: back}
	},
}

// deliveryTable is what the shared table of deliveries shows: the rows,
// whether their buttons work, and the page the buttons come back to.
type deliveryTable struct {
	Rows   []deliveries.Delivery
	CanAct bool
	Back   string
}

func parsePages() (*pages, error) {
	byName, style, err := handlers.ParsePages(web.Templates, "templates/console", pageNames, templateFuncs, "console.css")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return &pages{byName: byName, style: style}, nil
}

// view is what every page template receives.
type view struct {
	Title   string
	Product string
	Staff   *reqSession
	Nav     string
	Notice  string
	// NoticeKind names the notice ("refund", "rotated", ...), for tests and styles.
	NoticeKind string
	RequestID  string
	Data       any
}

// render executes a page into a buffer, so a template error never sends
// half a page, then writes it.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Product, v.RequestID = c.ProductName, handlers.RequestID(r.Context())
	if v.Notice != "" {
		v.NoticeKind = r.URL.Query().Get("notice")
	}
	if s, ok := sessionFrom(r.Context()); ok {
		v.Staff = s
	}
	var buf bytes.Buffer
	if err := c.pages.byName[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.Log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
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
	Back             string // a console page to go back to, if any
}

// renderError shows an error page; messages are fixed text, never input.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	c.render(w, r, status, "error", view{Title: heading, Data: errorView{Status: status, Heading: heading, Message: message,
		Back: backTo(r, "")}})
}

// renderAppError shows err's safe message with the status of its kind;
// internal errors are logged once and shown as a generic failure.
func (c *Console) renderAppError(w http.ResponseWriter, r *http.Request, err error) {
	status := handlers.StatusOf(apperr.KindOf(err))
	message := "Please try again in a moment."
	if e, ok := errors.AsType[*apperr.Error](err); ok && e.Kind != apperr.Internal {
		message = e.Message
		for _, f := range e.Fields {
			message += " (" + f.Key + ": " + f.Message + ")"
		}
	}
	if status >= 500 {
		c.Log.ErrorContext(r.Context(), "console: request failed", "route", handlers.RoutePattern(r), "err", err)
	}
	c.renderError(w, r, status, headingFor(status), message)
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
	case http.StatusUnprocessableEntity:
		return "Vercel refused this"
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return "A service did not answer"
	}
	return "Something went wrong"
}

func (c *Console) handleStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(c.pages.style)
}
