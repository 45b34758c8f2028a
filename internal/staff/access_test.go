package staff

import "testing"

func TestAccessRoles(t *testing.T) {
	t.Parallel()
	a := NewAccess([]string{"Ops@Partner.example", "@billing.partner.example"}, []string{"@partner.example", "ops@partner.example"})
	for _, tc := range []struct {
		email, role string
		ok          bool
	}{
		{"ops@partner.example", Operator, true}, // in both lists: the operator wins
		{"  OPS@partner.EXAMPLE ", Operator, true},
		{"anna@billing.partner.example", Operator, true},
		{"vera@partner.example", Viewer, true},
		{"x@sub.partner.example", "", false}, // a domain is not its subdomains
		{"x@evilpartner.example", "", false},
		{"partner.example", "", false},
		{"@partner.example", "", false},
		{"x@", "", false},
		{"", "", false},
	} {
		role, ok := a.Role(tc.email)
		if role != tc.role || ok != tc.ok {
			t.Errorf("Role(%q) = %q %v, want %q %v", tc.email, role, ok, tc.role, tc.ok)
		}
	}
}

func TestEmailVerifiedReadsBooleansAndTheirText(t *testing.T) {
	t.Parallel()
	for v, want := range map[any]bool{true: true, "true": true, false: false, "false": false, nil: false, 1.0: false, "yes": false} {
		if verified(v) != want {
			t.Errorf("verified(%#v) = %v", v, !want)
		}
	}
}
