package vercelsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestOpenInProviderRedirectsWithACode(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	link := s.OpenInProviderURL("icfg_x", "u1", url.Values{"resource_id": {"db_1"}, "bogus": {"x"}})

	res, err := noFollow.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Errorf("without a redirect URL: %d", res.StatusCode)
	}

	s.SetRedirectLoginURL("http://partner.test/callback")
	s.RegisterInstallation("icfg_x", "tok")
	if res, _ = noFollow.Get(link); res.StatusCode != http.StatusForbidden {
		t.Errorf("non-member: %d", res.StatusCode)
	}
	s.SetMember("icfg_x", "u1", "USER", "u1@acme.dev")
	res, err = noFollow.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	q := loc.Query()
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), "http://partner.test/callback?") ||
		q.Get("mode") != "sso" || q.Get("code") == "" || q.Get("state") == "" || q.Get("resource_id") != "db_1" || q.Has("bogus") {
		t.Fatalf("redirect %d %s", res.StatusCode, loc)
	}
	form := url.Values{"code": {q.Get("code")}, "client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}, "grant_type": {"authorization_code"}}
	ex, err := http.PostForm(s.URL()+"/v1/integrations/sso/token", form)
	if err != nil {
		t.Fatal(err)
	}
	ex.Body.Close()
	if ex.StatusCode != 200 {
		t.Errorf("exchange of the issued code: %d", ex.StatusCode)
	}
}
