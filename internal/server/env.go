package server

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/vercel-partner/partner-server/internal/config"
)

// LookupEnv reads one variable from environ ("NAME=value" pairs, as
// os.Environ gives them); the last definition wins, as in the process
// environment.
func LookupEnv(environ []string) func(string) string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// WarnUnknownEnv names each PARTNER_* variable that overrides nothing,
// most often a misspelled key.
func WarnUnknownEnv(log *slog.Logger, environ []string) {
	for _, name := range config.UnknownEnv(environ) {
		log.Warn("environment variable matches no configuration key", "name", name)
	}
}

// NewLogger logs at level: as text to a terminal, as JSON lines otherwise.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// WarnPlaceholders names each key whose value looks copied from an
// example (the README's oac_yourClientId, a "<...>" or "example" host):
// such a server starts and reports ready, then fails at Vercel's first
// call. Secret values are never shown.
func WarnPlaceholders(log *slog.Logger, cfg *config.Config) {
	for _, p := range cfg.Placeholders() {
		log.Warn("configuration value looks like a placeholder; set the real one", "key", p.Key,
			"env", config.EnvName(p.Key), "contains", p.Mark)
	}
}
