package vercelsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// tokenLifetime is how long minted tokens live; Vercel does not document it.
const tokenLifetime = 5 * time.Minute

// signingKey is one RSA key the issuer has signed with.
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
}

func newSigningKey(n int) (signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("vercelsim: generate RSA key: %w", err)
	}
	return signingKey{priv: priv, kid: fmt.Sprintf("sim-key-%d-%s", n, strings.ToLower(rand.Text()[:8]))}, nil
}

// Issuer is the OIDC issuer of every token the simulator mints (== URL()).
func (s *Sim) Issuer() string { return s.url }

// JWKSURL is where the simulator serves its public signing keys.
func (s *Sim) JWKSURL() string { return s.url + "/.well-known/jwks" }

// JWKSFetches counts GET /.well-known/jwks requests, so tests can prove a
// verifier caches keys and refetches once on an unknown kid.
func (s *Sim) JWKSFetches() int { return int(s.jwksFetches.Load()) }

// SigningKey returns the current private key and its kid, for tests that
// craft odd tokens with go-jose.
func (s *Sim) SigningKey() (*rsa.PrivateKey, string) {
	s.keysMu.RLock()
	defer s.keysMu.RUnlock()
	return s.keys[0].priv, s.keys[0].kid
}

// RotateKey makes a new current key with a new kid. The JWKS keeps serving
// the old keys too, so tokens signed before the rotation still verify.
func (s *Sim) RotateKey() {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	k, err := newSigningKey(len(s.keys) + 1)
	if err != nil {
		panic(err)
	}
	s.keys = append([]signingKey{k}, s.keys...)
}

// Sign returns an RS256 JWT over claims, signed with the current key and
// carrying its kid. The claims are used exactly as given.
func (s *Sim) Sign(claims map[string]any) string {
	priv, kid := s.SigningKey()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		panic(fmt.Sprintf("vercelsim: signer: %v", err))
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("vercelsim: marshal claims: %v", err))
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(fmt.Sprintf("vercelsim: sign: %v", err))
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		panic(fmt.Sprintf("vercelsim: serialize: %v", err))
	}
	return compact
}

// UserToken mints a partner-API user token (type access_token, 5 minutes).
// The user also becomes a member of the installation (for getMember) unless
// SetMember already defined them.
func (s *Sim) UserToken(installationID, userID, role string) string {
	s.ensureMember(installationID, userID, role)
	return s.Sign(s.userClaims(installationID, userID, role, "access_token"))
}

// SystemToken mints a partner-API system token. An empty installationID
// gives "installation_id": null, as Vercel sends for background work.
func (s *Sim) SystemToken(installationID string) string {
	now := s.now()
	acct := AccountHex(installationID)
	var inst any
	if installationID != "" {
		inst = installationID
	}
	return s.Sign(map[string]any{
		"iss":             s.url,
		"aud":             s.opts.ClientID,
		"sub":             "account:" + acct,
		"account_id":      acct,
		"installation_id": inst,
		"type":            "access_token",
		"iat":             now.Unix(),
		"exp":             now.Add(tokenLifetime).Unix(),
	})
}

// IDToken mints an SSO id_token: the user claims with type id_token, then
// extra (which overrides any claim; a nil value removes it).
func (s *Sim) IDToken(installationID, userID, role string, extra map[string]any) string {
	s.ensureMember(installationID, userID, role)
	return s.Sign(s.idTokenClaims(installationID, userID, role, extra))
}

func (s *Sim) idTokenClaims(installationID, userID, role string, extra map[string]any) map[string]any {
	c := s.userClaims(installationID, userID, role, "id_token")
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func (s *Sim) userClaims(installationID, userID, role, typ string) map[string]any {
	now := s.now()
	acct := AccountHex(installationID)
	return map[string]any{
		"iss":             s.url,
		"aud":             s.opts.ClientID,
		"sub":             "account:" + acct + ":user:" + hexID(userID),
		"account_id":      acct,
		"installation_id": installationID,
		"user_id":         userID,
		"user_role":       role,
		"user_email":      s.memberEmail(installationID, userID),
		"user_name":       s.memberName(installationID, userID),
		"type":            typ,
		"iat":             now.Unix(),
		"exp":             now.Add(tokenLifetime).Unix(),
	}
}

// AccountHex is the stable hex account ID the simulator uses in sub and
// account_id for an installation.
func AccountHex(installationID string) string { return hexID("account:" + installationID) }

// hexID returns id when it is already hex, else a stable hex digest of it,
// because sub must match account:<hex>:user:<hex>.
func hexID(id string) string {
	if id != "" && strings.Trim(strings.ToLower(id), "0123456789abcdef") == "" {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}

func (s *Sim) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.jwksFetches.Add(1)
	s.keysMu.RLock()
	set := jose.JSONWebKeySet{}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
	}
	s.keysMu.RUnlock()
	writeJSON(w, http.StatusOK, set)
}

func (s *Sim) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.url,
		"jwks_uri":                              s.JWKSURL(),
		"token_endpoint":                        s.url + "/v1/integrations/sso/token",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"grant_types_supported":                 []string{"authorization_code"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
	})
}
