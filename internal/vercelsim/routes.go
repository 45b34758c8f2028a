package vercelsim

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Route patterns: the strings Request.Route carries and Enqueue accepts.
const (
	RouteGetAccountInfo          = "GET /v1/installations/{id}/account"
	RouteGetMember               = "GET /v1/installations/{id}/member/{memberId}"
	RouteCreateEvent             = "POST /v1/installations/{id}/events"
	RouteSubmitBillingData       = "POST /v1/installations/{id}/billing"
	RouteSubmitInvoice           = "POST /v1/installations/{id}/billing/invoices"
	RouteGetInvoice              = "GET /v1/installations/{id}/billing/invoices/{invoiceId}"
	RouteUpdateInvoice           = "POST /v1/installations/{id}/billing/invoices/{invoiceId}/actions"
	RouteUpdateSecretsByID       = "PUT /v1/installations/{id}/resources/{resourceId}/secrets"
	RouteUpdateSecrets           = "PUT /v1/installations/{id}/products/{productId}/resources/{resourceId}/secrets"
	RouteUpdateInstallation      = "PATCH /v1/installations/{id}"
	RouteFinalizeInstallation    = "POST /v1/installations/{id}/billing/finalize"
	RouteSubmitPrepaymentBalance = "POST /v1/installations/{id}/billing/balance"
	RouteGetResources            = "GET /v1/installations/{id}/resources"
	RouteGetResource             = "GET /v1/installations/{id}/resources/{resourceId}"
	RouteImportResource          = "PUT /v1/installations/{id}/resources/{resourceId}"
	RouteUpdateResource          = "PATCH /v1/installations/{id}/resources/{resourceId}"
	RouteDeleteResource          = "DELETE /v1/installations/{id}/resources/{resourceId}"
	RouteUpdateDeploymentAction  = "PATCH /v1/deployments/{deploymentId}/integrations/{id}/resources/{resourceId}/actions/{action}"
	RouteUpdateCheckRun          = "PATCH /v2/deployments/{deploymentId}/check-runs/{checkRunId}"
	RouteRotateCredential        = "POST /v1/installations/{id}/credentials/rotate"
	RouteRevokeCredential        = "POST /v1/installations/{id}/credentials/revoke"
	RouteSSOToken                = "POST /v1/integrations/sso/token"
	RouteJWKS                    = "GET /.well-known/jwks"
	RouteDiscovery               = "GET /.well-known/openid-configuration"
	// RouteAny in Enqueue matches every faultable route.
	RouteAny = "*"
)

// FaultableRoutes lists the routes that Enqueue and SetMode affect: every
// marketplace endpoint and the SSO exchange, not JWKS or discovery.
var FaultableRoutes = []string{
	RouteGetAccountInfo, RouteGetMember, RouteCreateEvent, RouteSubmitBillingData,
	RouteSubmitInvoice, RouteGetInvoice, RouteUpdateInvoice, RouteUpdateSecretsByID,
	RouteUpdateSecrets, RouteUpdateInstallation, RouteFinalizeInstallation,
	RouteSubmitPrepaymentBalance, RouteGetResources, RouteGetResource,
	RouteImportResource, RouteUpdateResource, RouteDeleteResource, RouteSSOToken,
	RouteUpdateDeploymentAction, RouteUpdateCheckRun,
	RouteRotateCredential, RouteRevokeCredential,
	RouteCreateItems, RouteUpdateItem, RouteDeleteItem, RouteGetGlobalConfig, RoutePutGlobalConfig,
}

// maxBody bounds request bodies the simulator reads.
const maxBody = 4 << 20

func (s *Sim) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(route string, h func(w http.ResponseWriter, r *http.Request, in *installation)) {
		s.handle(mux, route, true, s.authed(h))
	}
	api(RouteGetAccountInfo, s.handleGetAccountInfo)
	api(RouteGetMember, s.handleGetMember)
	api(RouteCreateEvent, s.handleCreateEvent)
	api(RouteSubmitBillingData, s.handleSubmitBillingData)
	api(RouteSubmitInvoice, s.handleSubmitInvoice)
	api(RouteGetInvoice, s.handleGetInvoice)
	api(RouteUpdateInvoice, s.handleUpdateInvoice)
	api(RouteUpdateSecretsByID, s.handleUpdateSecrets)
	api(RouteUpdateSecrets, s.handleUpdateSecrets)
	api(RouteUpdateInstallation, s.handleUpdateInstallation)
	api(RouteFinalizeInstallation, s.handleFinalizeInstallation)
	api(RouteSubmitPrepaymentBalance, s.handleSubmitPrepaymentBalances)
	api(RouteGetResources, s.handleGetResources)
	api(RouteGetResource, s.handleGetResource)
	api(RouteImportResource, s.handleImportResource)
	api(RouteUpdateResource, s.handleUpdateResource)
	api(RouteDeleteResource, s.handleDeleteResource)
	api(RouteUpdateDeploymentAction, s.handleUpdateDeploymentAction)
	s.handle(mux, RouteUpdateCheckRun, true, s.handleUpdateCheckRun)
	api(RouteRotateCredential, s.handleRotateCredential)
	api(RouteRevokeCredential, s.handleRevokeCredential)
	api(RouteCreateItems, s.handleCreateItems)
	api(RouteUpdateItem, s.handleUpdateItem)
	api(RouteDeleteItem, s.handleDeleteItem)
	api(RouteGetGlobalConfig, s.handleGetGlobalConfig)
	api(RoutePutGlobalConfig, s.handlePutGlobalConfig)
	s.handle(mux, RouteSSOToken, true, s.handleSSOToken)
	s.handle(mux, RouteJWKS, false, s.handleJWKS)
	s.handle(mux, RouteDiscovery, false, s.handleDiscovery)
	s.handle(mux, RouteOpenInProvider, false, s.handleOpenInProvider)
	s.consoleRoutes(mux)
	s.staffRoutes(mux)
	// The partner's receiver is not Vercel: its pushes are not recorded.
	mux.HandleFunc(RoutePushReceiver, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		s.handlePush(w, r)
	})
	s.handle(mux, "/", false, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// handle registers h under route, wrapped with recording and, when
// faultable, with the Mode and fault injection.
func (s *Sim) handle(mux *http.ServeMux, route string, faultable bool, h http.HandlerFunc) {
	recorded := route
	if route == "/" {
		recorded = ""
	}
	mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: recorded, Header: r.Header.Clone(), Body: body, Time: s.now()}
		mode := s.Mode()
		if faultable && mode == ModeDown {
			s.record(rec)
			s.logf("vercelsim: %s %s -> connection dropped (down)", r.Method, r.URL.Path)
			dropConnection(w)
			return
		}
		w.Header().Set("X-Vercel-Id", "sim1::"+strings.ToLower(rand.Text()[:12]))
		sw := &statusWriter{ResponseWriter: w}
		switch {
		case faultable && mode == ModeRateLimited:
			s.serveRateLimited(sw)
		case !faultable || !s.serveFault(sw, r, route):
			h(sw, r)
		}
		rec.Status = cmpStatus(sw.status)
		s.record(rec)
		s.logf("vercelsim: %s %s -> %d", r.Method, r.URL.Path, rec.Status)
	})
}

func cmpStatus(status int) int {
	if status == 0 {
		return http.StatusOK
	}
	return status
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or similar: abort the stream instead
	}
	_ = conn.Close()
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isFaultable(route string) bool {
	return route == RouteAny || slices.Contains(FaultableRoutes, route)
}
