package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/server"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// The demo's fixed identities: two teams' installations, an admin and a
// viewer; the partner's staff (a console operator and a viewer); the names
// of the console's client and of the demo's internal token.
const (
	demoInstallation = "icfg_demo0000000000000000001"
	// demoSecondInstallation is a second team's, for transfers.
	demoSecondInstallation = "icfg_demo0000000000000000002"
	demoClientID           = "oac_demoIntegration000000001"
	demoViewer             = "0b5e000000000002"
	demoStaffOperator      = "operator@partner.example"
	demoStaffViewer        = "viewer@partner.example"
	demoConsoleClient      = "partner-console-demo"
	demoTokenName          = "demo-services"
)

// demoSecrets are generated once and kept under the data directory, so a
// restarted demo can still decrypt the tokens it stored.
type demoSecrets struct {
	EncryptionKey string `json:"encryption_key"`
	ClientSecret  string `json:"client_secret"`
	InternalToken string `json:"internal_token"`
	HookSecret    string `json:"hook_secret"`
	PushSecret    string `json:"push_secret"`
	ConsoleSecret string `json:"console_secret"`
}

// The demo's catalog: Pro has a flat fee and two meters, so usage,
// interim billing and invoices all have something to show.
const demoProducts = `[{"id":"postgres","name":"Postgres","secret_names":["DATABASE_URL","DATABASE_TOKEN"],
 "plans":[{"id":"hobby","type":"subscription","name":"Hobby","description":"For side projects","payment_method_required":false,"cost":"Free"},
          {"id":"pro200","type":"subscription","name":"Pro","description":"For production","cost":"$20.00/month + usage","price":"20.00",
           "meters":[{"name":"storage","units":"GB","type":"total","price":"0.25","included":"10"},
                     {"name":"queries","units":"queries","type":"interval","price":"0.01","included":"100"}]}]}]`

// demoFiles are the paths the demo keeps under its data directory.
type demoFiles struct{ dir, db, secrets, sim string }

func demoPaths(dir string) demoFiles {
	return demoFiles{dir: dir, db: filepath.Join(dir, "demo.db"), secrets: filepath.Join(dir, "demo-secrets.json"),
		sim: filepath.Join(dir, "vercel-sim.json")}
}

// demoRun is a running demo: our server, the simulator and the hook.
type demoRun struct {
	sim     *vercelsim.Sim
	app     *server.Server
	hook    *demoHook
	imports *demoImport
	public  string
	files   demoFiles
	secrets demoSecrets
	api     internalClient
	served  chan error
}

func (d *demoRun) close() {
	d.sim.Close()
	d.hook.Close()
	if d.imports != nil {
		d.imports.Close()
	}
	d.app.Close()
}

// startDemo starts everything, installs the demo installation when our
// database or the simulator does not know it yet, and keeps saving the
// simulator's state.
func startDemo(ctx context.Context, files demoFiles, addr, simAddr string, getenv func(string) string, stdout io.Writer) (*demoRun, error) {
	secrets, err := loadDemoSecrets(files.secrets)
	if err != nil {
		return nil, err
	}
	d := &demoRun{files: files, secrets: secrets, served: make(chan error, 1)}
	if d.hook, err = startDemoHook(secrets.HookSecret); err != nil {
		return nil, err
	}
	if d.sim, err = startDemoSim(files.sim, simAddr, secrets.ClientSecret); err != nil {
		d.hook.Close()
		return nil, err
	}
	d.sim.SetPushSecret(secrets.PushSecret) // the simulator plays the partner's event receiver
	if err := d.startServer(ctx, addr, getenv, stdout); err != nil {
		d.sim.Close()
		d.hook.Close()
		return nil, err
	}
	if d.imports, err = startDemoImport(d.api, d.sim.URL()); err != nil {
		d.close()
		return nil, err
	}
	if err := d.seed(ctx); err != nil {
		d.close()
		return nil, err
	}
	d.sim.SetConsole(d.console())
	go d.keepSaving(ctx)
	return d, nil
}

func startDemoSim(statePath, addr, clientSecret string) (*vercelsim.Sim, error) {
	sim, err := vercelsim.Start(vercelsim.Options{ClientID: demoClientID, ClientSecret: clientSecret, Addr: addr})
	if err != nil {
		return nil, fmt.Errorf("demo: start simulator: %w", err)
	}
	if _, err := os.Stat(statePath); err == nil {
		if err := sim.Load(statePath); err != nil {
			sim.Close()
			return nil, fmt.Errorf("demo: %w (start with -reset to begin afresh)", err)
		}
	}
	return sim, nil
}

func (d *demoRun) startServer(ctx context.Context, addr string, getenv func(string) string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	d.public = "http://" + ln.Addr().String()
	cfg, err := config.Load("", demoEnv(getenv, map[string]string{
		"PARTNER_LISTEN":                           ln.Addr().String(),
		"PARTNER_PUBLIC_URL":                       d.public,
		"PARTNER_DATABASE_DSN":                     d.files.db,
		"PARTNER_ENCRYPTION_KEY":                   d.secrets.EncryptionKey,
		"PARTNER_VERCEL_CLIENT_ID":                 demoClientID,
		"PARTNER_VERCEL_CLIENT_SECRET":             d.secrets.ClientSecret,
		"PARTNER_VERCEL_API_URL":                   d.sim.URL(),
		"PARTNER_DASHBOARD_VERCEL_URL":             d.sim.URL() + "/",
		"PARTNER_DASHBOARD_SUPPORT_EMAIL":          "support@partner.example",
		"PARTNER_VERCEL_ISSUER":                    d.sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL":                  d.sim.JWKSURL(),
		"PARTNER_INTERNAL_API_TOKENS":              fmt.Sprintf(`[{"name":%q,"token":%q}]`, demoTokenName, d.secrets.InternalToken),
		"PARTNER_CONSOLE_OIDC_ISSUER":              d.sim.StaffIssuer(),
		"PARTNER_CONSOLE_OIDC_CLIENT_ID":           demoConsoleClient,
		"PARTNER_CONSOLE_OIDC_CLIENT_SECRET":       d.secrets.ConsoleSecret,
		"PARTNER_CONSOLE_OPERATORS":                demoStaffOperator,
		"PARTNER_CONSOLE_VIEWERS":                  demoStaffViewer,
		"PARTNER_PRODUCTS":                         demoProducts,
		"PARTNER_PROVISIONING_HOOK_URL":            d.hook.url,
		"PARTNER_PROVISIONING_HOOK_SECRET":         d.secrets.HookSecret,
		"PARTNER_EVENTS_PUSH_URL":                  d.sim.PushReceiverURL(),
		"PARTNER_EVENTS_PUSH_SECRET":               d.secrets.PushSecret,
		"PARTNER_BILLING_ALLOW_CLOCK_OVERRIDE":     "true",
		"PARTNER_DELIVERIES_POLL_INTERVAL":         "500ms",
		"PARTNER_DELIVERIES_FIRST_ATTEMPT_TIMEOUT": "2s",
	}))
	if err != nil {
		ln.Close()
		return err
	}
	// The simulator is the partner's staff identity provider too.
	d.sim.SetStaffClient(demoConsoleClient, d.secrets.ConsoleSecret, cfg.PublicURL+"/console/callback")
	d.sim.SetStaffUsers(vercelsim.StaffUser{Email: demoStaffOperator, Name: "Olive Operator", Label: "operator"},
		vercelsim.StaffUser{Email: demoStaffViewer, Name: "Victor Viewer", Label: "viewer"})
	d.app, err = server.Start(ctx, cfg, server.NewLogger(stdout, cfg.LogLevel), server.Version(""))
	if err != nil {
		ln.Close()
		return err
	}
	d.api = internalClient{base: d.public, token: d.secrets.InternalToken, http: &http.Client{Timeout: 30 * time.Second}}
	d.hook.useAPI(d.api)
	go func() { d.served <- d.app.Serve(ctx, ln) }()
	return nil
}

// keepSaving saves the simulator's state every few seconds, so even a
// killed demo loses little.
func (d *demoRun) keepSaving(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.sim.Save(d.files.sim); err != nil {
				d.app.Log.Warn("demo: save the simulator's state", "err", err)
			}
		}
	}
}

func (d *demoRun) console() vercelsim.Console {
	return vercelsim.Console{
		PartnerURL: d.public,
		Products:   []string{"postgres"},
		ImportURL:  d.imports.url + "/import",
		Links: []vercelsim.ConsoleLink{{Label: "Partner dashboard", URL: d.sim.OpenInProviderURL(demoInstallation, vercelsim.DefaultAdminUserID, nil)},
			{Label: "Partner staff console", URL: d.public + "/console"}},
		Actions:   demoActions(d.sim, d.api, d.app.Autopilot.Grace, d.dunningGrace()),
		StartOver: "To start the whole demo from scratch instead, stop it (Ctrl-C) and run go run ./cmd/demo -reset.",
		Notes: func(inst string) []vercelsim.ConsoleNote {
			return []vercelsim.ConsoleNote{{Title: "The internal API from a terminal", Text: demoCurl(d.public, d.secrets.InternalToken, inst, d.sim.Resources(inst))},
				{Title: "Branches the demo's database service holds", Text: branchesNote(d.hook.Branches())}}
		},
	}
}

// dunningGrace is how long a failed payment waits before it suspends.
func (d *demoRun) dunningGrace() time.Duration {
	if d.app.Dunning != nil {
		return d.app.Dunning.Grace
	}
	return 360 * time.Hour
}

// demoFlags are the demo's flags: its address, the simulator's, the data directory.
func demoFlags() (fs *flag.FlagSet, addr, simAddr, dataDir *string, reset *bool) {
	fs = flag.NewFlagSet("demo", flag.ContinueOnError)
	addr = fs.String("addr", "127.0.0.1:8080", "address of the partner server")
	simAddr = fs.String("vercel-addr", "127.0.0.1:8090", "address of the simulated Vercel")
	dataDir = fs.String("data", "data", "directory for the SQLite file, the simulator's state and generated secrets")
	reset = fs.Bool("reset", false, "start afresh: delete the demo database and the simulator's state")
	return fs, addr, simAddr, dataDir, reset
}

// demoEnv puts the demo's values under the real environment's: an operator
// can still override any key (PARTNER_LOG_LEVEL=debug).
func demoEnv(getenv func(string) string, demo map[string]string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return demo[k]
	}
}

func loadDemoSecrets(path string) (demoSecrets, error) {
	var s demoSecrets
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &s); err != nil {
			return s, fmt.Errorf("demo: %s: %w", path, err)
		}
		if s.HookSecret != "" && s.PushSecret != "" && s.ConsoleSecret != "" {
			return s, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return s, fmt.Errorf("demo: %w", err)
	default:
		key := make([]byte, 32)
		rand.Read(key)
		s = demoSecrets{EncryptionKey: base64.StdEncoding.EncodeToString(key), ClientSecret: rand.Text(), InternalToken: "demo_" + rand.Text()}
	}
	if s.HookSecret == "" {
		s.HookSecret = newWebhookSecret()
	}
	if s.PushSecret == "" {
		s.PushSecret = newWebhookSecret()
	}
	if s.ConsoleSecret == "" {
		s.ConsoleSecret = rand.Text()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}
	data, _ = json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}
	return s, nil
}

// newWebhookSecret is a Standard Webhooks secret: whsec_ and 32 random
// bytes in base64.
func newWebhookSecret() string {
	key := make([]byte, 32)
	rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// resetDemo deletes the database and the simulator's state; the
// generated secrets are kept.
func resetDemo(f demoFiles) error {
	for _, p := range []string{f.db, f.db + "-wal", f.db + "-shm", f.sim} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

func printDemo(w io.Writer, d *demoRun) {
	fmt.Fprintf(w, `
Demo is running.

  Simulated Vercel dashboard:  %s/
  What Vercel received:        %[1]s/requests
  Open in Provider (admin):    %s
  Open in Provider (viewer):   %s
  Partner server:              %s
  Staff console:               %[4]s/console
                               (sign in as the demo operator %[5]s
                                or the demo viewer %[6]s)

The internal API, as your services call it:
%s

Stop with Ctrl-C. The database, the simulator's state and the generated
secrets are kept in %s; start with -reset to begin afresh.
`, d.sim.URL(), d.sim.OpenInProviderURL(demoInstallation, vercelsim.DefaultAdminUserID, nil),
		d.sim.OpenInProviderURL(demoInstallation, demoViewer, nil), d.public, demoStaffOperator, demoStaffViewer,
		indent(demoCurl(d.public, d.secrets.InternalToken, demoInstallation, d.sim.Resources(demoInstallation)), "  "), d.files.dir)
}

func indent(text, prefix string) string {
	return prefix + strings.ReplaceAll(text, "\n", "\n"+prefix)
}
