// Package config loads the server's configuration: a YAML file, then
// PARTNER_* environment variables (and their _FILE variants), then defaults,
// then one validation pass that reports every problem at once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Config is the whole server configuration. The yaml tags are the key paths
// of the configuration (config.example.yaml documents each); env names
// derive from them.
type Config struct {
	Listen                 string       `yaml:"listen"`
	PublicURL              string       `yaml:"public_url"`
	Database               Database     `yaml:"database"`
	EncryptionKey          string       `yaml:"encryption_key" secret:"true"`
	PreviousEncryptionKeys []string     `yaml:"previous_encryption_keys" secret:"true"`
	Vercel                 Vercel       `yaml:"vercel"`
	InternalAPI            Internal     `yaml:"internal_api"`
	Products               []Product    `yaml:"products"`
	Sessions               Sessions     `yaml:"sessions"`
	Dashboard              Dashboard    `yaml:"dashboard"`
	Deliveries             Deliveries   `yaml:"deliveries"`
	Provisioning           Provisioning `yaml:"provisioning"`
	Billing                Billing      `yaml:"billing"`
	Deployments            Deployments  `yaml:"deployments"`
	Events                 Events       `yaml:"events"`
	LogLevel               string       `yaml:"log_level"`
	MaxBodyBytes           int64        `yaml:"max_body_bytes"`
	HTTP                   HTTP         `yaml:"http"`
	Console                Console      `yaml:"console"`

	// catalog is Products in the domain's terms, built once by Load.
	catalog installations.Catalog
	// defaultDSN is set when neither the file nor the environment named
	// the database, so database.dsn is the default.
	defaultDSN bool
}

// HTTP configures how requests are read.
type HTTP struct {
	// TrustedProxies are the proxies (CIDRs or addresses) whose
	// X-Forwarded-For names the client; without them the peer is the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Proxies parses TrustedProxies; a bare address is a prefix of its own.
func (h HTTP) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range h.TrustedProxies {
		s = strings.TrimSpace(s)
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("http.trusted_proxies[%d]: %q is not a CIDR (10.0.0.0/8) or an IP address", i, s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Database selects the storage driver.
type Database struct {
	Driver string `yaml:"driver"`
	DSN    string `yaml:"dsn" secret:"true"`
}

// Vercel holds the integration's identity and Vercel's endpoints.
type Vercel struct {
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret" secret:"true"`
	APIURL       string `yaml:"api_url"`
	Issuer       string `yaml:"issuer"`
	JWKSURL      string `yaml:"jwks_url"`
}

// Internal configures the internal API for the partner's services.
type Internal struct {
	Tokens InternalTokens `yaml:"tokens" secret:"true"`
}

// Dashboard configures what the dashboard shows besides the installation.
type Dashboard struct {
	SupportEmail string `yaml:"support_email"`
	SupportURL   string `yaml:"support_url"`
	// VercelURL is where the sign-in page sends visitors without a session.
	VercelURL string `yaml:"vercel_url"`
}

// Sessions configures dashboard sessions.
type Sessions struct {
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	MaxAge      time.Duration `yaml:"max_age"`
}

// Deliveries configures the durable queue of writes forwarded to Vercel.
type Deliveries struct {
	FirstAttemptTimeout time.Duration `yaml:"first_attempt_timeout"`
	AttemptTimeout      time.Duration `yaml:"attempt_timeout"`
	MaxAge              time.Duration `yaml:"max_age"`
	Workers             int           `yaml:"workers"`
	PollInterval        time.Duration `yaml:"poll_interval"`
}

// Provisioning says who creates resources: a hook we call (HookURL set)
// or, without one, the partner's service following the event feed.
type Provisioning struct {
	HookURL     string        `yaml:"hook_url"`
	HookSecret  string        `yaml:"hook_secret" secret:"true"`
	HookTimeout time.Duration `yaml:"hook_timeout"`
}

// Events configures the push of the event feed to the partner's
// receiver; without PushURL the feed is pull only.
type Events struct {
	PushURL     string        `yaml:"push_url"`
	PushSecret  string        `yaml:"push_secret" secret:"true"`
	PushTimeout time.Duration `yaml:"push_timeout"`
}

// Billing configures the billing autopilot.
type Billing struct {
	// SubmitInterval is how often interim usage goes to Vercel.
	SubmitInterval time.Duration `yaml:"submit_interval"`
	// AllowClockOverride lets POST /internal/v1/billing/run name the time
	// it runs as; for tests and demos only.
	AllowClockOverride bool `yaml:"allow_clock_override"`
	// LateUsageGrace is how long after a period ends its usage is still
	// accepted; the period's invoice waits until then.
	LateUsageGrace time.Duration `yaml:"late_usage_grace"`
	Dunning        Dunning       `yaml:"dunning"`
}

// Deployments configures deployment actions and check runs.
type Deployments struct {
	// ActionTimeout is how long an action or check run waits for its
	// outcome before it is reported failed ("timed out").
	ActionTimeout time.Duration `yaml:"action_timeout"`
}

// Dunning configures what unpaid invoices lead to.
type Dunning struct {
	// Grace is how long after an invoice's first failed payment it
	// suspends the installation's paid resources.
	Grace time.Duration `yaml:"grace"`
	// Enabled is on unless set to false.
	Enabled *bool `yaml:"enabled"`
}

// On reports whether dunning acts (billing.dunning.enabled, default true).
func (d Dunning) On() bool { return d.Enabled == nil || *d.Enabled }

// Load reads the YAML file at path (optional when ""), applies environment
// overrides from getenv, fills defaults and validates.
func Load(path string, getenv func(string) string) (*Config, error) {
	return load(path, getenv, func(c *Config) []string { return problemsOf(c.Validate()) })
}

// LoadDatabase is Load for commands that only open the database (migrate,
// deliveries): it validates the database keys alone, so they run without
// the encryption key or Vercel credentials.
func LoadDatabase(path string, getenv func(string) string) (*Config, error) {
	return load(path, getenv, func(c *Config) []string {
		var p []string
		c.validateDatabase(func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) })
		return p
	})
}

func problemsOf(err error) []string {
	if e, ok := err.(*Error); ok && e != nil {
		return e.Problems
	}
	return nil
}

func load(path string, getenv func(string) string, check func(*Config) []string) (*Config, error) {
	var c Config
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, yamlError(path, err)
		}
	}
	problems := applyEnv(&c, getenv)
	c.catalog = catalogOf(c.Products)
	c.setDefaults()
	problems = append(problems, check(&c)...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &c, nil
}

func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen, "127.0.0.1:8080")
	def(&c.PublicURL, publicURLFor(c.Listen))
	if strings.HasSuffix(c.PublicURL, "/") && strings.Count(c.PublicURL, "/") == 3 {
		c.PublicURL = trimSlash(c.PublicURL) // "https://host/" is the origin
	}
	c.defaultDSN = c.Database.DSN == ""
	def(&c.Database.Driver, "sqlite")
	def(&c.Database.DSN, "data/partner.db")
	def(&c.Vercel.APIURL, "https://api.vercel.com")
	def(&c.Dashboard.VercelURL, "https://vercel.com/dashboard")
	def(&c.Vercel.Issuer, "https://marketplace.vercel.com")
	if c.Vercel.JWKSURL == "" {
		c.Vercel.JWKSURL = trimSlash(c.Vercel.Issuer) + "/.well-known/jwks"
	}
	def(&c.LogLevel, "info")
	durDef := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	durDef(&c.Sessions.IdleTimeout, 2*time.Hour)
	durDef(&c.Sessions.MaxAge, 12*time.Hour)
	durDef(&c.Deliveries.FirstAttemptTimeout, 3*time.Second)
	durDef(&c.Deliveries.AttemptTimeout, 30*time.Second)
	durDef(&c.Deliveries.MaxAge, 72*time.Hour)
	durDef(&c.Deliveries.PollInterval, time.Second)
	durDef(&c.Provisioning.HookTimeout, 10*time.Second)
	durDef(&c.Events.PushTimeout, 10*time.Second)
	durDef(&c.Billing.SubmitInterval, time.Hour)
	durDef(&c.Billing.LateUsageGrace, time.Hour)
	durDef(&c.Deployments.ActionTimeout, 10*time.Minute)
	durDef(&c.Billing.Dunning.Grace, 360*time.Hour)
	if c.Deliveries.Workers == 0 {
		c.Deliveries.Workers = 8
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
}

// publicURLFor is the default public_url: where a browser on this machine
// reaches the listen address (a wildcard or loopback host becomes localhost).
func publicURLFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return "http://localhost:8080"
	}
	switch host {
	case "", "0.0.0.0", "127.0.0.1", "::", "::1":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// DefaultDatabase reports whether database.dsn is the default because
// neither the file nor the environment set it.
func (c *Config) DefaultDatabase() bool { return c.defaultDSN }

// Catalog returns the configured products, as Load converted them.
func (c *Config) Catalog() installations.Catalog { return c.catalog }

// SetCatalog replaces the configured products with a catalog built in code
// (tests do); it is not validated again.
func (c *Config) SetCatalog(cat installations.Catalog) { c.catalog = cat }
