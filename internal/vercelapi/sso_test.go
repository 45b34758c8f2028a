package vercelapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func ssoRequest() *SSOTokenRequest {
	return &SSOTokenRequest{Code: "kP2vX9qLr7", State: "bW9ja19zdGF0ZQ", ClientID: "oac_9f4YG9JFjgKkRlxoaaGG0y05", ClientSecret: "client-secret-xyz"}
}

func TestExchangeSSOTokenRequest(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, 200, docSSOResponse, map[string]string{"X-Vercel-Id": "fra1::sso"})
	tok, err := c.ExchangeSSOToken(t.Context(), ssoRequest())
	if err != nil {
		t.Fatal(err)
	}
	if tok.IDToken != "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9..." || tok.AccessToken != "" || tok.TokenType != "" {
		t.Errorf("token = %#v", *tok)
	}
	r := srv.requests()[0]
	if r.method != "POST" || r.uri != "/v1/integrations/sso/token" {
		t.Errorf("request = %s %s", r.method, r.uri)
	}
	form, err := url.ParseQuery(r.body)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"code": {"kP2vX9qLr7"}, "state": {"bW9ja19zdGF0ZQ"}, "client_id": {"oac_9f4YG9JFjgKkRlxoaaGG0y05"},
		"client_secret": {"client-secret-xyz"}, "grant_type": {"authorization_code"},
	}
	if form.Encode() != want.Encode() {
		t.Errorf("form = %v, want %v", form, want)
	}
	for h, want := range map[string]string{
		"Authorization": "",
		"Content-Type":  "application/x-www-form-urlencoded",
		"Accept":        "application/json",
		"User-Agent":    "vercel-partner-server/1.2.3",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestExchangeSSOTokenResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		body                string
		idToken, accessType string
		wantErr             string
	}{
		{"null access token", docSSOResponse, "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9...", "", ""},
		{"missing access token", `{"id_token":"idt"}`, "idt", "", ""},
		{"all five", `{"id_token":"idt","access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt","extra":1}`, "idt", "Bearer", ""},
		{"no id_token", `{"access_token":"at","token_type":"Bearer"}`, "", "", "no id_token"},
		{"null id_token", `{"id_token":null,"access_token":null,"token_type":null}`, "", "", "no id_token"},
		{"not json", `oops`, "", "", "decoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := setup(t, 200, tt.body, nil)
			tok, err := c.ExchangeSSOToken(t.Context(), ssoRequest())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "kP2vX9qLr7") || strings.Contains(err.Error(), "client-secret-xyz") {
					t.Errorf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil || tok.IDToken != tt.idToken || tok.TokenType != tt.accessType {
				t.Fatalf("token = %+v, err = %v", tok, err)
			}
		})
	}
}

func TestExchangeSSOTokenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int
		body          string
		code, message string
	}{
		{"vercel shape", 403, `{"error":{"code":"forbidden","message":"Not allowed"}}`, "forbidden", "Not allowed"},
		{"oauth shape", 400, `{"error":"invalid_grant","error_description":"code kP2vX9qLr7 already used"}`, "invalid_grant", "code [redacted] already used"},
		{"oauth error with 200", 200, `{"error":"invalid_client","error_description":"bad secret client-secret-xyz"}`, "invalid_client", "bad secret [redacted]"},
		{"plain 500", 500, `internal`, "", "Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, tt.status, tt.body, map[string]string{"X-Vercel-Id": "fra1::sso"})
			_, err := c.ExchangeSSOToken(t.Context(), ssoRequest())
			ae, ok := errors.AsType[*APIError](err)
			if !ok {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if ae.StatusCode != tt.status || ae.Code != tt.code || ae.Message != tt.message || ae.RequestID != "fra1::sso" {
				t.Errorf("APIError = %+v", ae)
			}
			for _, secret := range []string{"kP2vX9qLr7", "client-secret-xyz"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(string(ae.Body), secret) {
					t.Errorf("error leaks %q: %v / %s", secret, err, ae.Body)
				}
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("sent %d times", n)
			}
		})
	}
}

func TestExchangeSSOTokenValidation(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, 200, docSSOResponse, nil)
	_, err := c.ExchangeSSOToken(t.Context(), &SSOTokenRequest{ClientID: "oac_x"})
	if !hasField(err, "code") || !hasField(err, "client_secret") || len(srv.requests()) != 0 {
		t.Errorf("err = %v, requests = %d", err, len(srv.requests()))
	}
}

func TestSSOTokenRedactsItself(t *testing.T) {
	t.Parallel()
	tok := SSOToken{IDToken: "eyJsecret", AccessToken: "atsecret", TokenType: "Bearer"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "tok", tok)
	for _, s := range []string{tok.String(), b.String(), fmt.Sprintf("%v %+v %#v", tok, &tok, tok)} {
		if strings.Contains(s, "secret") {
			t.Errorf("leaks: %s", s)
		}
	}
}
