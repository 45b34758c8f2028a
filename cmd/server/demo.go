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
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// The demo's fixed identities: one installation, an admin and a viewer.
const (
	demoInstallation = "icfg_demo0000000000000000001"
	demoClientID     = "oac_demoIntegration000000001"
	demoViewer       = "0b5e000000000002"
)

// demoSecrets are generated once and kept under the data directory, so a
// restarted demo can still decrypt the tokens it stored.
type demoSecrets struct {
	EncryptionKey string `json:"encryption_key"`
	ClientSecret  string `json:"client_secret"`
	InternalToken string `json:"internal_token"`
}

const demoProducts = `[{"id":"postgres","name":"Postgres","secret_names":["DATABASE_URL","DATABASE_TOKEN"],
 "plans":[{"id":"hobby","type":"subscription","name":"Hobby","description":"For side projects","payment_method_required":false,"cost":"Free"},
          {"id":"pro200","type":"subscription","name":"Pro","description":"For production","cost":"$20.00/month"}]}]`

// demo serves the partner server beside an in-process Vercel simulator, with
// a demo installation installed the way Vercel would install it.
func demo(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs, addr, simAddr, dataDir := demoFlags()
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	getenv := lookupEnv(environ)
	secrets, err := loadDemoSecrets(filepath.Join(*dataDir, "demo-secrets.json"))
	if err != nil {
		return err
	}
	// The simulated Vercel keeps its state in memory, so the demo's database
	// starts afresh too: stored invoices and deliveries would name things the
	// new simulator has never seen.
	if err := resetDemoDB(filepath.Join(*dataDir, "demo.db")); err != nil {
		return err
	}
	sim, err := vercelsim.Start(vercelsim.Options{ClientID: demoClientID, ClientSecret: secrets.ClientSecret, Addr: *simAddr})
	if err != nil {
		return fmt.Errorf("demo: start simulator: %w", err)
	}
	defer sim.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	public := "http://" + ln.Addr().String()
	cfg, err := config.Load("", demoEnv(getenv, map[string]string{
		"PARTNER_LISTEN":               ln.Addr().String(),
		"PARTNER_PUBLIC_URL":           public,
		"PARTNER_DATABASE_DSN":         filepath.Join(*dataDir, "demo.db"),
		"PARTNER_ENCRYPTION_KEY":       secrets.EncryptionKey,
		"PARTNER_VERCEL_CLIENT_ID":     demoClientID,
		"PARTNER_VERCEL_CLIENT_SECRET": secrets.ClientSecret,
		"PARTNER_VERCEL_API_URL":       sim.URL(),
		"PARTNER_VERCEL_ISSUER":        sim.Issuer(),
		"PARTNER_VERCEL_JWKS_URL":      sim.JWKSURL(),
		"PARTNER_INTERNAL_API_TOKENS":  secrets.InternalToken,
		"PARTNER_PRODUCTS":             demoProducts,
	}))
	if err != nil {
		ln.Close()
		return err
	}
	log := newLogger(stdout, cfg.LogLevel)
	warnUnknownEnv(log, environ)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	errc := make(chan error, 1)
	go func() { errc <- a.Serve(ctx, ln) }()
	if err := seedDemo(ctx, sim, a.DB, public); err != nil {
		return err
	}
	if err := seedInvoice(ctx, public, secrets.InternalToken); err != nil {
		return err
	}
	printDemo(stdout, sim, public, filepath.Join(*dataDir, "demo-secrets.json"), *dataDir)
	return <-errc
}

// demoFlags are the demo's flags: its address, the simulator's, the data directory.
func demoFlags() (fs *flag.FlagSet, addr, simAddr, dataDir *string) {
	fs = flag.NewFlagSet("demo", flag.ContinueOnError)
	addr = fs.String("addr", "127.0.0.1:8080", "address of the partner server")
	simAddr = fs.String("vercel-addr", "127.0.0.1:8090", "address of the simulated Vercel")
	dataDir = fs.String("data", "data", "directory for the SQLite file and generated secrets")
	return fs, addr, simAddr, dataDir
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
	if err == nil {
		if err := json.Unmarshal(data, &s); err != nil {
			return s, fmt.Errorf("demo: %s: %w", path, err)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("demo: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	s = demoSecrets{EncryptionKey: base64.StdEncoding.EncodeToString(key), ClientSecret: rand.Text(), InternalToken: "demo_" + rand.Text()}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}
	data, _ = json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return s, fmt.Errorf("demo: %w", err)
	}
	return s, nil
}

// seedDemo installs the demo installation through the partner API, as
// Vercel does, and gives it two resources known to both sides.
func seedDemo(ctx context.Context, sim *vercelsim.Sim, d *db.DB, public string) error {
	sim.SetRedirectLoginURL(public + "/callback")
	sim.SetAccount(demoInstallation, vercelsim.AccountInfo{Name: "Acme Demo", URL: "https://vercel.com/acme-demo",
		Contact: &vercelsim.Contact{Email: "ada@acme.dev", Name: "Ada Lovelace"}})
	if _, err := sim.Install(ctx, public, demoInstallation); err != nil {
		return fmt.Errorf("demo: install: %w", err)
	}
	sim.SetMember(demoInstallation, vercelsim.DefaultAdminUserID, "ADMIN", "ada@acme.dev")
	sim.SetMember(demoInstallation, demoViewer, "USER", "grace@acme.dev")
	res := db.NewResources(d)
	for _, r := range []installations.Resource{
		{ID: "db_main", ProductID: "postgres", Name: "main-db", BillingPlanID: "pro200", Status: "ready"},
		{ID: "db_preview", ProductID: "postgres", Name: "preview-db", BillingPlanID: "hobby", Status: "ready"},
	} {
		r.InstallationID = demoInstallation
		if _, err := res.PutResource(ctx, r); err != nil {
			return fmt.Errorf("demo: seed resource: %w", err)
		}
		sim.SetResource(demoInstallation, r.ID, vercelsim.Resource{ProductID: r.ProductID, Name: r.Name, Status: r.Status, BillingPlanID: r.BillingPlanID})
	}
	return nil
}

func resetDemoDB(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// seedInvoice submits last month's test invoice through the internal API,
// the way a partner's billing job would.
func seedInvoice(ctx context.Context, public, token string) error {
	end := time.Now().UTC().Truncate(24 * time.Hour)
	start := end.AddDate(0, -1, 0)
	stamp := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	body := fmt.Sprintf(`{"externalId":"demo-%s","invoiceDate":"%s","memo":"Demo invoice",
	 "period":{"start":"%s","end":"%s"},
	 "items":[{"billingPlanId":"pro200","resourceId":"db_main","name":"Pro plan","price":"20.00","quantity":1,"units":"month","total":"20.00"}],
	 "test":{"validate":true,"result":"paid"}}`, start.Format("2006-01"), stamp(end.Add(-time.Hour)), stamp(start), stamp(end))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, public+"/internal/v1/installations/"+demoInstallation+"/invoices", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo: seed invoice: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("demo: seed invoice: %d %s", res.StatusCode, msg)
	}
	return nil
}

func printDemo(w io.Writer, sim *vercelsim.Sim, public, secretsPath, dataDir string) {
	fmt.Fprintf(w, `
Demo is running.

  Simulated Vercel dashboard:  %s/
  Open in Provider (admin):    %s
  Open in Provider (viewer):   %s
  Partner server:              %s

Internal API (what your services call; the token is in %[5]s):
  curl -H "Authorization: Bearer $(sed -n 's/.*"internal_token": "\(.*\)".*/\1/p' %[5]s)" %[4]s/internal/v1/installations

Stop with Ctrl-C. Generated secrets are kept in %[6]s; the demo database
starts afresh each run, like the simulated Vercel.
`, sim.URL(), sim.OpenInProviderURL(demoInstallation, vercelsim.DefaultAdminUserID, nil),
		sim.OpenInProviderURL(demoInstallation, demoViewer, url.Values{}), public, secretsPath, dataDir)
}
