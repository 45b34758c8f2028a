package vercelsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func exchange(t *testing.T, s *Sim, form bool, fields map[string]string) result {
	t.Helper()
	var body, ctype string
	if form {
		v := url.Values{}
		for k, f := range fields {
			v.Set(k, f)
		}
		body, ctype = v.Encode(), "application/x-www-form-urlencoded"
	} else {
		b, _ := json.Marshal(fields)
		body, ctype = string(b), "application/json"
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/v1/integrations/sso/token", strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r result
	r.status = resp.StatusCode
	r.body, _ = io.ReadAll(resp.Body)
	return r
}

func TestSSOExchange(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	good := func(code string) map[string]string {
		return map[string]string{"code": code, "state": "st-" + code, "client_id": s.ClientID(), "client_secret": s.ClientSecret(), "grant_type": "authorization_code"}
	}
	tests := []struct {
		name   string
		form   bool
		change func(map[string]string)
		want   int
	}{
		{"json", false, nil, 200},
		{"form", true, nil, 200},
		{"wrong secret", false, func(f map[string]string) { f["client_secret"] = "nope" }, 403},
		{"wrong client id", true, func(f map[string]string) { f["client_id"] = "oac_nope" }, 403},
		{"missing grant_type", false, func(f map[string]string) { delete(f, "grant_type") }, 400},
		{"refresh grant", false, func(f map[string]string) { f["grant_type"] = "refresh_token" }, 400},
		{"unknown key", false, func(f map[string]string) { f["nonce"] = "n" }, 400},
		{"unknown code", false, func(f map[string]string) { f["code"] = "nope" }, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code := s.IssueSSOCode("icfg_sso", "u1", "ADMIN", map[string]any{"user_name": "Ada"})
			fields := good(code)
			if tt.change != nil {
				tt.change(fields)
			}
			r := exchange(t, s, tt.form, fields)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d", r.status, tt.want)
			}
			if tt.want != 200 {
				return
			}
			var out map[string]any
			_ = json.Unmarshal(r.body, &out)
			if v, ok := out["access_token"]; !ok || v != nil {
				t.Errorf("access_token = %v (present %v), want null", v, ok)
			}
			idt, err := verifier(t, s).Verify(t.Context(), out["id_token"].(string))
			if err != nil {
				t.Fatalf("id_token does not verify: %v", err)
			}
			var claims map[string]any
			_ = idt.Claims(&claims)
			if claims["type"] != "id_token" || claims["installation_id"] != "icfg_sso" || claims["user_name"] != "Ada" {
				t.Errorf("claims = %v", claims)
			}
			if again := exchange(t, s, tt.form, fields); again.status != http.StatusBadRequest || !strings.Contains(string(again.body), "invalid_grant") {
				t.Errorf("reused code: %d %s, want 400 invalid_grant", again.status, again.body)
			}
			found := false
			for _, ex := range s.SSOExchanges() {
				found = found || (ex.Code == code && ex.State == "st-"+code && ex.Status == 200)
			}
			if !found {
				t.Error("exchange and its state not recorded")
			}
		})
	}
}

func TestSSOCodeWithCustomClaims(t *testing.T) {
	t.Parallel()
	s := startSim(t, Options{})
	code := s.IssueSSOCodeClaims(map[string]any{"iss": s.Issuer(), "aud": "oac_someone_else", "exp": 1})
	r := exchange(t, s, false, map[string]string{"code": code, "client_id": s.ClientID(), "client_secret": s.ClientSecret(), "grant_type": "authorization_code"})
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	var out struct {
		IDToken string `json:"id_token"`
	}
	_ = json.Unmarshal(r.body, &out)
	if _, err := verifier(t, s).Verify(t.Context(), out.IDToken); err == nil {
		t.Error("a token with a foreign aud verified")
	}
}

func TestSSOCallbackURL(t *testing.T) {
	t.Parallel()
	got := SSOCallbackURL("http://partner.test", "c1", "s1", url.Values{"resource_id": {"db_1"}})
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/callback" || q.Get("mode") != "sso" || q.Get("code") != "c1" || q.Get("state") != "s1" || q.Get("resource_id") != "db_1" {
		t.Errorf("SSOCallbackURL = %s", got)
	}
}
