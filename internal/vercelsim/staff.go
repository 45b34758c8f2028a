package vercelsim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The simulator also plays the partner's own identity provider for the
// staff console: an OpenID Connect issuer at /staff with the
// authorization code flow (PKCE S256 required, nonce echoed in the
// id_token), a "Sign in as staff" page and a token endpoint. Its tokens
// are signed with the simulator's keys; its traffic is not Vercel's and
// is not recorded.

// StaffUser is a person the simulated identity provider offers on its
// sign-in page.
type StaffUser struct {
	Email string
	Name  string
	Label string // e.g. "operator"; shown on the button
}

// staffClient is the console's registration at the provider.
type staffClient struct {
	id, secret, redirect string
}

// staffCode is an issued, not yet exchanged, authorization code.
type staffCode struct {
	clientID, redirect, nonce, challenge string
	email, name                          string
	extra                                map[string]any
	expires                              time.Time
}

// StaffIssuer is the issuer URL of the simulated staff provider.
func (s *Sim) StaffIssuer() string { return s.url + "/staff" }

// SetStaffClient registers the console as a client: its id, secret and
// redirect URI (<public_url>/console/callback).
func (s *Sim) SetStaffClient(id, secret, redirectURI string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staff.client = staffClient{id: id, secret: secret, redirect: redirectURI}
}

// SetStaffUsers sets the people the sign-in page offers.
func (s *Sim) SetStaffUsers(users ...StaffUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staff.users = slices.Clone(users)
}

// staffState is the provider's state, guarded by Sim.mu.
type staffState struct {
	client staffClient
	users  []StaffUser
	codes  map[string]staffCode
}

func (s *Sim) staffRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff/.well-known/openid-configuration", s.handleStaffDiscovery)
	mux.HandleFunc("GET /staff/authorize", s.handleStaffAuthorizePage)
	mux.HandleFunc("POST /staff/authorize", s.handleStaffAuthorize)
	mux.HandleFunc("POST /staff/token", s.handleStaffToken)
}

func (s *Sim) handleStaffDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := s.StaffIssuer()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              s.JWKSURL(),
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"claims_supported":                      []string{"sub", "email", "email_verified", "name", "nonce"},
	})
}

// authorizeRequest is the console's authorization request, checked.
type authorizeRequest struct {
	ClientID, RedirectURI, State, Nonce, Challenge string
}

// checkAuthorize checks an authorization request against the registered
// client, as a strict provider does.
func (s *Sim) checkAuthorize(q url.Values) (authorizeRequest, error) {
	s.mu.Lock()
	c := s.staff.client
	s.mu.Unlock()
	a := authorizeRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"),
		Nonce: q.Get("nonce"), Challenge: q.Get("code_challenge")}
	switch {
	case c.id == "" || a.ClientID != c.id:
		return a, errors.New("unknown client_id")
	case a.RedirectURI != c.redirect:
		return a, errors.New("redirect_uri is not the registered one")
	case q.Get("response_type") != "code":
		return a, errors.New("response_type must be code")
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		return a, errors.New("scope must include openid")
	case a.Challenge == "" || q.Get("code_challenge_method") != "S256":
		return a, errors.New("PKCE with S256 is required")
	case a.State == "" || a.Nonce == "":
		return a, errors.New("state and nonce are required")
	}
	return a, nil
}

var staffPage = template.Must(template.New("staff").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in as staff</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f4f5;margin:0;padding:2rem 1rem;color:#18181b}
main{max-width:26rem;margin:0 auto;background:#fff;border:1px solid #e4e4e7;border-radius:12px;padding:1.5rem}
h1{font-size:1.25rem;margin:0 0 .25rem}p{color:#52525b;margin:.25rem 0 1rem}
form{margin:0 0 .75rem}button{width:100%;padding:.75rem;border-radius:8px;border:1px solid #18181b;background:#18181b;color:#fff;font-size:1rem;cursor:pointer;text-align:left}
button small{display:block;opacity:.8;font-size:.8rem}
.other button{background:#fff;color:#18181b}input{width:100%;box-sizing:border-box;padding:.6rem;margin:.25rem 0 .5rem;border:1px solid #a1a1aa;border-radius:6px;font-size:1rem}
</style></head><body><main>
<h1>Sign in as staff</h1>
<p>The simulated identity provider of the partner's own people, for the staff console.</p>
{{range .Users}}<form method="post" action="/staff/authorize">{{template "hidden" $.Hidden}}
<input type="hidden" name="email" value="{{.Email}}">
<button type="submit" id="staff-{{.Label}}">{{.Name}} <small>{{.Email}} · {{.Label}}</small></button></form>
{{end}}<form method="post" action="/staff/authorize" class="other">{{template "hidden" .Hidden}}
<label for="staff-email">Someone else</label><input id="staff-email" name="email" type="email" placeholder="name@example.com" required>
<button type="submit" id="staff-other">Sign in with this e-mail</button></form>
</main></body></html>
{{define "hidden"}}{{range $k, $v := .}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}{{end}}`))

// handleStaffAuthorizePage is the provider's sign-in page.
//
// GET /staff/authorize?response_type=code&client_id&redirect_uri&scope&state&nonce&code_challenge&code_challenge_method=S256
func (s *Sim) handleStaffAuthorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, err := s.checkAuthorize(q); err != nil {
		http.Error(w, "invalid authorization request: "+err.Error(), http.StatusBadRequest)
		return
	}
	hidden := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"} {
		hidden[k] = q.Get(k)
	}
	s.mu.Lock()
	users := slices.Clone(s.staff.users)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	staffPage.Execute(w, map[string]any{"Users": users, "Hidden": hidden})
}

// handleStaffAuthorize is a click on the sign-in page: it issues a code
// and sends the browser back to the console.
//
// POST /staff/authorize (the page's form)
func (s *Sim) handleStaffAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	to, err := s.StaffAuthorize(r.PostForm, r.PostForm.Get("email"), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// StaffAuthorize does what a click on the sign-in page does: for an
// authorization request (the query of the URL the console redirected
// to), it issues a code for email and returns the callback URL with the
// code and the state. extra overrides claims of the id_token the code
// exchanges for (a nil value removes one), for tests of odd tokens.
func (s *Sim) StaffAuthorize(request url.Values, email string, extra map[string]any) (string, error) {
	a, err := s.checkAuthorize(request)
	if err != nil {
		return "", err
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", fmt.Errorf("%q is not an e-mail address", email)
	}
	name := email[:strings.IndexByte(email, '@')]
	s.mu.Lock()
	for _, u := range s.staff.users {
		if strings.EqualFold(u.Email, email) {
			name = u.Name
		}
	}
	code := rand.Text()
	if s.staff.codes == nil {
		s.staff.codes = map[string]staffCode{}
	}
	s.staff.codes[code] = staffCode{clientID: a.ClientID, redirect: a.RedirectURI, nonce: a.Nonce, challenge: a.Challenge,
		email: email, name: name, extra: maps.Clone(extra), expires: s.now().Add(ssoCodeTTL)}
	s.mu.Unlock()
	back, err := url.Parse(a.RedirectURI)
	if err != nil {
		return "", err
	}
	q := back.Query()
	q.Set("code", code)
	q.Set("state", a.State)
	back.RawQuery = q.Encode()
	return back.String(), nil
}

// handleStaffToken exchanges a code for an id_token: the client must
// authenticate (basic or in the form), the redirect URI and the PKCE
// verifier must match, and a code works once.
//
// POST /staff/token
func (s *Sim) handleStaffToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	c := s.staff.client
	code, found := s.staff.codes[r.PostForm.Get("code")]
	delete(s.staff.codes, r.PostForm.Get("code"))
	s.mu.Unlock()
	switch {
	case c.id == "" || id != c.id || subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1:
		oauthError(w, http.StatusUnauthorized, "invalid_client")
	case r.PostForm.Get("grant_type") != "authorization_code":
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
	case !found || !s.now().Before(code.expires) || code.clientID != id || code.redirect != r.PostForm.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "invalid_grant")
	case !pkceMatches(r.PostForm.Get("code_verifier"), code.challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant")
	default:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300,
			"id_token": s.Sign(s.staffClaims(code))})
	}
}

func (s *Sim) staffClaims(c staffCode) map[string]any {
	now := s.now()
	claims := map[string]any{"iss": s.StaffIssuer(), "aud": c.clientID, "sub": "staff:" + hexID(strings.ToLower(c.email)),
		"email": c.email, "email_verified": true, "name": c.name, "nonce": c.nonce,
		"iat": now.Unix(), "exp": now.Add(tokenLifetime).Unix()}
	for k, v := range c.extra {
		if v == nil {
			delete(claims, k)
			continue
		}
		claims[k] = v
	}
	return claims
}

// pkceMatches checks an S256 code verifier against its challenge.
func pkceMatches(verifier, challenge string) bool {
	if verifier == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code})
}
