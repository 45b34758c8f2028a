package vercelsim

import (
	"crypto/rand"
	"crypto/subtle"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// ssoCodeTTL bounds how long an SSO code can be exchanged.
const ssoCodeTTL = 10 * time.Minute

// ssoCode is an issued, not yet exchanged, authorization code.
type ssoCode struct {
	claims  map[string]any // used as is
	mint    func() map[string]any
	expires time.Time
}

// SSOExchange records one call of the SSO token exchange.
type SSOExchange struct {
	Code        string
	State       string
	ClientID    string
	GrantType   string
	ContentType string // "application/json" or "application/x-www-form-urlencoded"
	Status      int
}

// IssueSSOCode returns a single-use code that exchanges for an id_token of
// the given user (IDToken's claims, minted fresh at exchange time, with
// extra overriding). The user also becomes a member of the installation.
func (s *Sim) IssueSSOCode(installationID, userID, role string, extra map[string]any) string {
	s.ensureMember(installationID, userID, role)
	extra = maps.Clone(extra)
	return s.storeCode(ssoCode{mint: func() map[string]any {
		return s.idTokenClaims(installationID, userID, role, extra)
	}})
}

// IssueSSOCodeClaims returns a single-use code that exchanges for an
// id_token carrying exactly claims (for odd tokens: wrong aud, expired...).
func (s *Sim) IssueSSOCodeClaims(claims map[string]any) string {
	return s.storeCode(ssoCode{claims: maps.Clone(claims)})
}

func (s *Sim) storeCode(c ssoCode) string {
	code := rand.Text()
	c.expires = s.now().Add(ssoCodeTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = c
	return code
}

// SSOExchanges returns every exchange attempt, in order, with the state the
// partner echoed.
func (s *Sim) SSOExchanges() []SSOExchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.exchanges)
}

// SSOCallbackURL is the URL Vercel redirects the browser to:
// {partnerBase}/callback?mode=sso&code=..&state=..&<params>.
func SSOCallbackURL(partnerBase, code, state string, params url.Values) string {
	q := url.Values{}
	for k, vs := range params {
		q[k] = slices.Clone(vs)
	}
	q.Set("mode", "sso")
	q.Set("code", code)
	q.Set("state", state)
	return partnerBase + "/callback?" + q.Encode()
}

// ssoError is the OAuth-style error body the simulator answers the
// exchange with; Vercel's real shape is unconfirmed.
func ssoError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// handleSSOToken is exchangeSsoToken: JSON or form bodies, no
// Authorization header, single-use codes.
func (s *Sim) handleSSOToken(w http.ResponseWriter, r *http.Request) {
	ex := SSOExchange{}
	defer func() {
		s.mu.Lock()
		s.exchanges = append(s.exchanges, ex)
		s.mu.Unlock()
	}()
	ex.ContentType, _, _ = mime.ParseMediaType(r.Header.Get("Content-Type"))
	fields, status, code, desc := s.ssoFields(r, ex.ContentType)
	ex.Code, ex.State, ex.ClientID, ex.GrantType = fields["code"], fields["state"], fields["client_id"], fields["grant_type"]
	if status == 0 {
		status, code, desc = s.checkSSOClient(fields)
	}
	if status != 0 {
		ex.Status = status
		ssoError(w, status, code, desc)
		return
	}
	s.mu.Lock()
	c, ok := s.codes[fields["code"]]
	delete(s.codes, fields["code"]) // single use, even when expired
	s.mu.Unlock()
	if !ok || s.now().After(c.expires) {
		ex.Status = http.StatusBadRequest
		ssoError(w, ex.Status, "invalid_grant", "the code is unknown, expired or already used")
		return
	}
	claims := c.claims
	if c.mint != nil {
		claims = c.mint()
	}
	ex.Status = http.StatusOK
	writeJSON(w, http.StatusOK, map[string]any{"id_token": s.Sign(claims), "access_token": nil, "token_type": nil})
}

// ssoFields decodes the exchange body; a non-zero status is an error.
func (s *Sim) ssoFields(r *http.Request, contentType string) (map[string]string, int, string, string) {
	fields := map[string]string{}
	switch contentType {
	case "application/json":
		m, err := decodeObject(mustRead(r))
		if err == nil {
			if serr := ssoTokenBody("", m); serr != nil {
				err = serr
			}
		}
		if err != nil {
			return fields, http.StatusBadRequest, "invalid_request", err.Error()
		}
		for k, v := range m {
			fields[k] = v.(string)
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(mustRead(r)))
		if err != nil {
			return fields, http.StatusBadRequest, "invalid_request", "malformed form body"
		}
		for k := range form {
			if _, known := ssoFormKeys[k]; !known {
				return fields, http.StatusBadRequest, "invalid_request", k + ": unknown parameter"
			}
			fields[k] = form.Get(k)
		}
	default:
		return fields, http.StatusBadRequest, "invalid_request", "Content-Type must be application/json or application/x-www-form-urlencoded"
	}
	if r.Header.Get("Authorization") != "" {
		return fields, http.StatusBadRequest, "invalid_request", "the exchange takes no Authorization header"
	}
	return fields, 0, "", ""
}

var ssoFormKeys = map[string]struct{}{
	"code": {}, "state": {}, "client_id": {}, "client_secret": {}, "redirect_uri": {}, "grant_type": {}, "refresh_token": {},
}

func (s *Sim) checkSSOClient(f map[string]string) (int, string, string) {
	switch {
	case f["grant_type"] == "":
		return http.StatusBadRequest, "invalid_request", "grant_type: is required"
	case f["grant_type"] != "authorization_code":
		return http.StatusBadRequest, "unsupported_grant_type", "the simulator issues no refresh tokens"
	case f["client_id"] == "" || f["client_secret"] == "":
		return http.StatusBadRequest, "invalid_request", "client_id and client_secret are required"
	case f["client_id"] != s.opts.ClientID ||
		subtle.ConstantTimeCompare([]byte(f["client_secret"]), []byte(s.opts.ClientSecret)) != 1:
		return http.StatusForbidden, "invalid_client", "unknown client_id or wrong client_secret"
	case f["code"] == "":
		return http.StatusBadRequest, "invalid_request", "code: is required"
	}
	return 0, "", ""
}
