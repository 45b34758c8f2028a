package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Error lists every missing or invalid key found in one pass.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "; ")
}

// Validate checks every key and reports all problems together.
func (c *Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	required := func(key, val string) bool {
		if strings.TrimSpace(val) == "" {
			add("%s is required (set it in the file or %s)", key, EnvName(key))
			return false
		}
		return true
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen: %q is not host:port", c.Listen)
	}
	checkPublicURL(add, c.PublicURL)
	c.validateDatabase(add)
	if required("encryption_key", c.EncryptionKey) {
		if _, err := DecodeKey(c.EncryptionKey); err != nil {
			add("encryption_key: %v", err)
		}
	}
	for i, k := range c.PreviousEncryptionKeys {
		if _, err := DecodeKey(k); err != nil {
			add("previous_encryption_keys[%d]: %v", i, err)
		}
	}
	if required("vercel.client_id", c.Vercel.ClientID) && strings.ContainsAny(c.Vercel.ClientID, " \t\n") {
		add("vercel.client_id: must not contain spaces")
	}
	required("vercel.client_secret", c.Vercel.ClientSecret)
	checkURL(&p, "vercel.api_url", c.Vercel.APIURL)
	checkURL(&p, "vercel.issuer", c.Vercel.Issuer)
	checkURL(&p, "vercel.jwks_url", c.Vercel.JWKSURL)
	c.validateTokens(add)
	c.validateConsole(add)
	c.validateProducts(add)
	if c.Billing.SubmitInterval < time.Minute || c.Billing.SubmitInterval > 24*time.Hour {
		add("billing.submit_interval: must be 1m..24h (Vercel wants usage at least daily)")
	}
	if c.Billing.LateUsageGrace < time.Second || c.Billing.LateUsageGrace > 23*time.Hour {
		add("billing.late_usage_grace: must be 1s..23h (an ended period's last usage goes to Vercel after it, and Vercel takes it for 24h)")
	}
	if c.Deployments.ActionTimeout < time.Second || c.Deployments.ActionTimeout > 24*time.Hour {
		add("deployments.action_timeout: must be 1s..24h")
	}
	if c.Billing.Dunning.Grace < time.Minute {
		add("billing.dunning.grace: must be at least 1m (Vercel retries a failed payment for days; 360h is advised)")
	}
	if c.Deliveries.AttemptTimeout < time.Second {
		add("deliveries.attempt_timeout: must be at least 1s")
	}
	if c.Deliveries.Workers < 1 || c.Deliveries.Workers > 256 {
		add("deliveries.workers: must be 1..256")
	}
	c.validateProvisioning(add)
	c.validateEvents(add)
	c.validateDashboard(add)
	if _, err := c.HTTP.Proxies(); err != nil {
		add("%v", err)
	}
	if c.MaxBodyBytes < 1024 {
		add("max_body_bytes: must be at least 1024")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log_level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if len(p) > 0 {
		return &Error{Problems: p}
	}
	return nil
}

func (c *Config) validateDatabase(add func(string, ...any)) {
	switch c.Database.Driver {
	case "sqlite", "postgres":
	default:
		add("database.driver: %q is not sqlite or postgres", c.Database.Driver)
	}
}

// validateProducts reports the catalog's mistakes, each naming the product,
// plan and key.
func (c *Config) validateProducts(add func(string, ...any)) {
	for _, line := range c.Catalog().Validate() {
		add("%s", line)
	}
}

func checkURL(p *[]string, key, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		*p = append(*p, fmt.Sprintf("%s: %q is not an http(s) URL", key, v))
	}
}

// checkPublicURL wants an origin: the server answers at the root of
// public_url (Vercel calls <public_url>/v1/..., the SSO callback and the
// dashboard links are built on it), so a path would send them to pages
// that do not exist. A trailing "/" is fine; setDefaults drops it.
func checkPublicURL(add func(string, ...any), v string) {
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add("public_url: %q is not an http(s) URL", v)
	case u.User != nil:
		add("public_url: %q must not carry a user or password", u.Redacted())
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.ForceQuery:
		add("public_url: %q must be an origin only, like %s://%s: the server is served at the root of its URL "+
			"(a path, query or fragment is not supported; give it its own host name or strip the prefix at the proxy)",
			v, u.Scheme, u.Host)
	}
}

// DecodeKey decodes a base64 encryption key and checks it is 32 bytes.
func DecodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not valid base64")
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("must decode to 32 bytes, got %d", len(k))
	}
	return k, nil
}

// validateDashboard keeps the support links and the sign-in link to
// absolute http(s) URLs and the email to one address.
func (c *Config) validateDashboard(add func(string, ...any)) {
	for key, v := range map[string]string{"dashboard.support_url": c.Dashboard.SupportURL, "dashboard.vercel_url": c.Dashboard.VercelURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			add("%s: must be an absolute http(s) URL", key)
		}
	}
	if e := c.Dashboard.SupportEmail; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			add("dashboard.support_email: must be one email address")
		}
	}
}

// validateProvisioning requires a whsec_ secret with a hook URL.
func (c *Config) validateProvisioning(add func(string, ...any)) {
	pr := c.Provisioning
	if pr.HookURL == "" {
		if pr.HookSecret != "" {
			add("provisioning.hook_secret: set without provisioning.hook_url")
		}
		return
	}
	var p []string
	checkURL(&p, "provisioning.hook_url", pr.HookURL)
	for _, msg := range p {
		add("%s", msg)
	}
	key, ok := strings.CutPrefix(pr.HookSecret, "whsec_")
	if b, err := base64.StdEncoding.DecodeString(key); !ok || err != nil || len(b) < 16 {
		add("provisioning.hook_secret: required with provisioning.hook_url, as whsec_ and at least 16 base64-encoded bytes")
	}
	if pr.HookTimeout < 0 || pr.HookTimeout > 5*time.Minute {
		add("provisioning.hook_timeout: must be between 0 and 5m")
	}
}

// validateEvents requires a whsec_ secret with a push URL.
func (c *Config) validateEvents(add func(string, ...any)) {
	ev := c.Events
	if ev.PushURL == "" {
		if ev.PushSecret != "" {
			add("events.push_secret: set without events.push_url")
		}
		return
	}
	var p []string
	checkURL(&p, "events.push_url", ev.PushURL)
	for _, msg := range p {
		add("%s", msg)
	}
	key, ok := strings.CutPrefix(ev.PushSecret, "whsec_")
	if b, err := base64.StdEncoding.DecodeString(key); !ok || err != nil || len(b) < 16 {
		add("events.push_secret: required with events.push_url, as whsec_ and at least 16 base64-encoded bytes")
	}
	if ev.PushTimeout < time.Second || ev.PushTimeout > 5*time.Minute {
		add("events.push_timeout: must be 1s..5m")
	}
}
