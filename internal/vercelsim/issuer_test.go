package vercelsim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
)

func verifier(t *testing.T, s *Sim) *oidc.IDTokenVerifier {
	return oidc.NewVerifier(s.Issuer(), oidc.NewRemoteKeySet(t.Context(), s.JWKSURL()),
		&oidc.Config{ClientID: s.ClientID(), SupportedSigningAlgs: []string{"RS256"}})
}

func TestMintedTokensVerify(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	v := verifier(t, s)
	userSub := regexp.MustCompile(`^account:[0-9a-fA-F]+:user:[0-9a-fA-F]+$`)
	systemSub := regexp.MustCompile(`^account:[0-9a-fA-F]+$`)
	tests := []struct {
		name  string
		token string
		sub   *regexp.Regexp
		want  map[string]any
	}{
		{"user token", s.UserToken("icfg_1", "user1", "ADMIN"), userSub,
			map[string]any{"type": "access_token", "installation_id": "icfg_1", "user_id": "user1", "user_role": "ADMIN"}},
		{"system token", s.SystemToken("icfg_1"), systemSub,
			map[string]any{"type": "access_token", "installation_id": "icfg_1"}},
		{"system token without installation", s.SystemToken(""), systemSub,
			map[string]any{"installation_id": nil}},
		{"id token", s.IDToken("icfg_1", "user2", "USER", map[string]any{"user_name": "Grace"}), userSub,
			map[string]any{"type": "id_token", "user_role": "USER", "user_name": "Grace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := v.Verify(t.Context(), tt.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var claims map[string]any
			if err := tok.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if !tt.sub.MatchString(tok.Subject) {
				t.Errorf("sub %q does not match %s", tok.Subject, tt.sub)
			}
			if claims["account_id"] == nil {
				t.Errorf("no account_id in %v", claims)
			}
			for k, want := range tt.want {
				if got, ok := claims[k]; !ok || got != want {
					t.Errorf("claim %s = %v (present %v), want %v", k, got, ok, want)
				}
			}
		})
	}
}

func TestRotateKeyRefetchesOnce(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	v := verifier(t, s)
	old := s.UserToken("icfg_1", "u", "ADMIN")
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	_, kid1 := s.SigningKey()
	s.RotateKey()
	if _, kid2 := s.SigningKey(); kid2 == kid1 {
		t.Fatal("RotateKey kept the kid")
	}
	fetches := s.JWKSFetches()
	if _, err := v.Verify(t.Context(), s.UserToken("icfg_1", "u", "ADMIN")); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if got := s.JWKSFetches() - fetches; got != 1 {
		t.Errorf("JWKS fetched %d times for the new kid, want 1", got)
	}
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Errorf("token from before the rotation: %v", err)
	}
}

func TestWrongAudienceFailsVerification(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{ClientID: "oac_custom"})
	claims := s.userClaims("icfg_1", "u", "ADMIN", "access_token")
	claims["aud"] = "oac_other"
	if _, err := verifier(t, s).Verify(t.Context(), s.Sign(claims)); err == nil {
		t.Fatal("token for another audience verified")
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	r := call(t, s, http.MethodGet, "/.well-known/openid-configuration", "", nil)
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil || r.status != http.StatusOK {
		t.Fatalf("status %d body %s", r.status, r.body)
	}
	if doc["issuer"] != s.Issuer() || doc["jwks_uri"] != s.JWKSURL() || doc["token_endpoint"] != s.URL()+"/v1/integrations/sso/token" {
		t.Errorf("discovery = %v", doc)
	}
	// go-oidc's discovery must accept it too.
	if _, err := oidc.NewProvider(t.Context(), s.Issuer()); err != nil {
		t.Errorf("oidc.NewProvider: %v", err)
	}
}
