package config

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Console configures the staff console: the partner's own OpenID Connect
// provider and who may sign in. Nothing set: the console is off.
type Console struct {
	OIDC ConsoleOIDC `yaml:"oidc"`
	// Operators and Viewers are e-mail addresses or "@domain" entries;
	// operators act, viewers only look.
	Operators []string `yaml:"operators"`
	Viewers   []string `yaml:"viewers"`
}

// ConsoleOIDC is the partner's identity provider for staff sign-in.
type ConsoleOIDC struct {
	Issuer       string `yaml:"issuer"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret" secret:"true"`
}

// Enabled reports whether any console key is set; Validate then requires
// all of them.
func (c Console) Enabled() bool {
	return c.OIDC.Issuer != "" || c.OIDC.ClientID != "" || c.OIDC.ClientSecret != "" ||
		len(c.Operators) > 0 || len(c.Viewers) > 0
}

// validDomain is the part after "@" of a domain entry.
var validDomain = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// validateConsole requires the whole provider and at least one person
// once any console key is set, and checks every allowed entry.
func (c *Config) validateConsole(add func(string, ...any)) {
	con := c.Console
	if !con.Enabled() {
		return
	}
	for key, v := range map[string]string{"console.oidc.issuer": con.OIDC.Issuer,
		"console.oidc.client_id": con.OIDC.ClientID, "console.oidc.client_secret": con.OIDC.ClientSecret} {
		if strings.TrimSpace(v) == "" {
			add("%s is required when the staff console is configured (set it or %s)", key, EnvName(key))
		}
	}
	if con.OIDC.Issuer != "" {
		var p []string
		checkURL(&p, "console.oidc.issuer", con.OIDC.Issuer)
		for _, s := range p {
			add("%s", s)
		}
	}
	if len(con.Operators) == 0 && len(con.Viewers) == 0 {
		add("console.operators or console.viewers must list at least one e-mail or @domain")
	}
	for key, list := range map[string][]string{"console.operators": con.Operators, "console.viewers": con.Viewers} {
		for i, e := range list {
			if !allowedEntry(e) {
				add("%s[%d]: %q is not an e-mail address or an @domain", key, i, e)
			}
		}
	}
}

// allowedEntry accepts "name@domain" or "@domain".
func allowedEntry(e string) bool {
	e = strings.ToLower(strings.TrimSpace(e))
	if d, ok := strings.CutPrefix(e, "@"); ok {
		return validDomain.MatchString(d)
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

// InternalToken is one internal API bearer token and the name the audit
// log records for it.
type InternalToken struct {
	Name  string `yaml:"name"`
	Token string `yaml:"token"`
}

// UnmarshalYAML accepts a bare token or a {name, token} mapping.
func (t *InternalToken) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = InternalToken{Token: n.Value}
		return nil
	}
	type plain InternalToken
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "name" && k != "token" {
			return fmt.Errorf("line %d: unknown key %q (want name and token)", n.Content[i].Line, k)
		}
	}
	*t = InternalToken(p)
	return nil
}

// InternalTokens are internal_api.tokens. From the environment they are
// a comma-separated list of bare tokens, or a YAML/JSON list whose items
// are bare tokens or {name, token} objects.
type InternalTokens []InternalToken

func (ts *InternalTokens) setEnv(raw string) error {
	if strings.HasPrefix(strings.TrimSpace(raw), "[") {
		var out InternalTokens
		if err := yaml.Unmarshal([]byte(raw), &out); err != nil {
			return fmt.Errorf("not a valid YAML/JSON list of tokens or {name, token} objects")
		}
		*ts = out
		return nil
	}
	var out InternalTokens
	for _, s := range strings.Split(raw, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, InternalToken{Token: s})
		}
	}
	*ts = out
	return nil
}

// Named is the list with every token named: a bare token's name is
// "token-N", N its position from 1.
func (ts InternalTokens) Named() []InternalToken {
	out := make([]InternalToken, len(ts))
	for i, t := range ts {
		if t.Name == "" {
			t.Name = fmt.Sprintf("token-%d", i+1)
		}
		out[i] = t
	}
	return out
}

// values are the tokens themselves.
func (ts InternalTokens) values() []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Token
	}
	return out
}

// Bare makes a list of unnamed tokens (tests and tools).
func Bare(tokens ...string) InternalTokens {
	out := make(InternalTokens, len(tokens))
	for i, t := range tokens {
		out[i] = InternalToken{Token: t}
	}
	return out
}

var validTokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// validateTokens checks lengths and names; names must be unique, since
// the audit log tells tokens apart by them.
func (c *Config) validateTokens(add func(string, ...any)) {
	seen := map[string]bool{}
	for i, t := range c.InternalAPI.Tokens.Named() {
		if len(t.Token) < 16 {
			add("internal_api.tokens[%d]: must be at least 16 characters", i)
		}
		switch {
		case !validTokenName.MatchString(t.Name):
			add("internal_api.tokens[%d].name: 1 to 64 letters, digits, '.', '_', '@' or '-'", i)
		case seen[t.Name]:
			add("internal_api.tokens[%d].name: %q names another token too", i, t.Name)
		}
		seen[t.Name] = true
	}
}
