package handlers

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

const clientAddrKey ctxKey = 1

// ClientAddr is the address of the client a request came from, as
// ClientAddress found it: what rate limits key on and request logs show.
// Without that middleware it is the peer's address.
func ClientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey).(string); ok {
		return a
	}
	return peerHost(r.RemoteAddr)
}

// ClientAddress records each request's client address. The peer is the
// client unless it is one of the trusted proxies (http.trusted_proxies);
// then X-Forwarded-For names it: the right-most address there that is not
// itself a trusted proxy. Addresses further left were written by the
// client and could be anything, so they are never taken; an untrusted
// peer's X-Forwarded-For is ignored altogether.
func ClientAddress(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			addr := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey, addr)))
		})
	}
}

// clientAddr walks from the peer leftwards through X-Forwarded-For while
// the hop is a trusted proxy, and returns the first hop that is not. A hop
// that is not an address ends the walk at the last trusted one: a trusted
// proxy wrote it, so the client is not known beyond that proxy.
func clientAddr(remoteAddr string, forwarded []string, trusted []netip.Prefix) string {
	peer := peerHost(remoteAddr)
	last, ok := parseHop(peer)
	if !ok || !isTrusted(last, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(forwarded, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			break
		}
		last = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return last.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, optionally with a
// port ("1.2.3.4:5", "[::1]:5").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func peerHost(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}
