package installations

import (
	"strings"
	"testing"
)

func TestRefundRule(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		total, reason, limit string
		ok                   bool
	}{
		{"12.50", "outage", "20.00", true},
		{" 20.00 ", " outage ", "20.00", true},
		{"20.01", "outage", "20.00", false},
		{"0.1", "r", "", true},
		{"0.00", "r", "", false},
		{"1.005", "r", "", false},
		{"-1", "r", "", false},
		{"1e2", "r", "", false},
		{"12,50", "r", "", false},
		{"1.00", "", "", false},
		{"1.00", "a\x00b", "", false},
		{"1.00", strings.Repeat("r", MaxRefundReason+1), "", false},
	} {
		_, _, err := Refund(c.total, c.reason, c.limit)
		if (err == nil) != c.ok {
			t.Errorf("Refund(%q, %q, %q): %v, want ok=%v", c.total, c.reason, c.limit, err, c.ok)
		}
	}
}

func TestIDAndNameRules(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{"icfg_abc": true, "inv_1.2:3~x-y": true, "": false, ".": false, "..": false,
		"a/b": false, "a\x00b": false, "\xff\xfe": false, strings.Repeat("i", MaxID+1): false} {
		if err := CheckID("id", id); (err == nil) != ok {
			t.Errorf("CheckID(%q): %v, want ok=%v", id, err, ok)
		}
	}
	for name, ok := range map[string]bool{"main-db": true, " x ": true, "": false, "  ": false, "a\x00b": false,
		"\xff": false, strings.Repeat("n", MaxResourceName): true, strings.Repeat("n", MaxResourceName+1): false} {
		if _, err := ResourceName(name); (err == nil) != ok {
			t.Errorf("ResourceName(%q): %v, want ok=%v", name, err, ok)
		}
	}
	for key, ok := range map[string]bool{"": true, "k-1": true, "a b": true, "a\nb": false, strings.Repeat("k", 256): false} {
		if err := IdempotencyKey(key); (err == nil) != ok {
			t.Errorf("IdempotencyKey(%q): %v, want ok=%v", key, err, ok)
		}
	}
}
