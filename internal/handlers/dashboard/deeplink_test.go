package dashboard

import (
	"net/url"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	l := &Linker{Origin: &url.URL{Scheme: "https", Host: "partner.example"}}
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"https://partner.example/dashboard/invoices", "/dashboard/invoices", true},
		{"https://PARTNER.example/dashboard?x=1#y", "/dashboard?x=1#y", true},
		{"/dashboard/support", "/dashboard/support", true},
		{"http://partner.example/dashboard", "", false}, // other scheme
		{"https://partner.example:444/", "", false},     // other port
		{"https://evil.example/", "", false},            // other host
		{"https://partner.example.evil.example/", "", false},
		{"https://partner.example@evil.example/", "", false},
		{"//evil.example/", "", false},
		{"/\\evil.example", "", false},
		{"/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x", true}, // stays escaped in the path
		{"javascript:alert(1)", "", false},
		{"dashboard", "", false}, // relative paths are not ours to guess
		{"https://partner.example/callback?code=x", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := l.sameOrigin(tt.raw)
		if ok != tt.ok || got != tt.want {
			t.Errorf("sameOrigin(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func TestResourcePage(t *testing.T) {
	t.Parallel()
	if got := ResourcePage("db_1", "prj_a", "bad id!", true); got != "/dashboard/resources/db_1?project_id=prj_a#secrets" {
		t.Fatalf("got %q", got)
	}
}
