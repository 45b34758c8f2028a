package handlers

import (
	"net/netip"
	"testing"
)

func TestClientAddrTakesTheRightMostUntrustedHop(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.5/32"),
		netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name      string
		peer      string
		forwarded []string
		trusted   []netip.Prefix
		want      string
	}{
		{"no trusted proxies: the peer, whatever the header says", "10.1.2.3:5000", []string{"203.0.113.9"}, nil, "10.1.2.3"},
		{"untrusted peer: its header is ignored", "198.51.100.7:5000", []string{"203.0.113.9"}, proxies, "198.51.100.7"},
		{"trusted peer without a header: the peer", "10.1.2.3:5000", nil, proxies, "10.1.2.3"},
		{"trusted peer names the client", "10.1.2.3:5000", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"a spoofed left-most entry is not taken", "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"a chain of trusted proxies is walked", "10.1.2.3:5000", []string{"6.6.6.6, 203.0.113.9, 192.168.1.5, 10.9.9.9"}, proxies, "203.0.113.9"},
		{"several headers read as one list", "10.1.2.3:5000", []string{"6.6.6.6, 203.0.113.9", "10.9.9.9"}, proxies, "203.0.113.9"},
		{"entries with ports", "10.1.2.3:5000", []string{"203.0.113.9:4711, [fd00::1]:443"}, proxies, "203.0.113.9"},
		{"IPv6 client behind an IPv6 proxy", "[fd00::2]:5000", []string{"2001:db8::1"}, proxies, "2001:db8::1"},
		{"IPv4-mapped peer counts as IPv4", "[::ffff:10.1.2.3]:5000", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"every hop trusted: the farthest proxy", "10.1.2.3:5000", []string{"192.168.1.5, 10.2.2.2"}, proxies, "192.168.1.5"},
		{"garbage ends the walk at the last proxy", "10.1.2.3:5000", []string{"203.0.113.9, unknown, 10.2.2.2"}, proxies, "10.2.2.2"},
		{"garbage next to the peer: the peer", "10.1.2.3:5000", []string{"not-an-ip"}, proxies, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientAddr(tt.peer, tt.forwarded, tt.trusted); got != tt.want {
				t.Errorf("clientAddr(%q, %q) = %q, want %q", tt.peer, tt.forwarded, got, tt.want)
			}
		})
	}
}
