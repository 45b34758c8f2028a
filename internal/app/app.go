// Package app wires the server: it builds every store and service once from
// a configuration and composes the HTTP surfaces. cmd/server and the
// tests that need a whole server use it alike.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vercel-partner/partner-server/internal/credentials"
	"github.com/vercel-partner/partner-server/internal/dunning"
	"github.com/vercel-partner/partner-server/internal/lifecycle"
	"github.com/vercel-partner/partner-server/internal/notifications"
	"github.com/vercel-partner/partner-server/internal/resources"
	"github.com/vercel-partner/partner-server/internal/vault"

	"github.com/go-chi/chi/v5"

	"github.com/vercel-partner/partner-server/internal/autopilot"
	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/deployments"
	"github.com/vercel-partner/partner-server/internal/eventpush"
	"github.com/vercel-partner/partner-server/internal/handlers"
	"github.com/vercel-partner/partner-server/internal/handlers/dashboard"
	"github.com/vercel-partner/partner-server/internal/handlers/internalapi"
	"github.com/vercel-partner/partner-server/internal/handlers/ops"
	"github.com/vercel-partner/partner-server/internal/handlers/partnerapi"
	"github.com/vercel-partner/partner-server/internal/handlers/webhooks"
	"github.com/vercel-partner/partner-server/internal/metrics"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/sso"
	"github.com/vercel-partner/partner-server/internal/staff"
	"github.com/vercel-partner/partner-server/internal/transfers"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelauth"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Options adjust what the configuration cannot say; all are optional.
type Options struct {
	Version string
	// Transport carries every call to Vercel (tests capture them).
	Transport http.RoundTripper
	// Retry replaces the client's retry policy for reads.
	Retry *vercelapi.RetryPolicy
	// Deliveries replaces the queue's timings (tests make them fast).
	Deliveries *deliveries.Options
	// Now is the billing clock (usage ledger and autopilot); default
	// time.Now.
	Now func() time.Time
	// TokenGrace replaces how long a rotated token's predecessor lives
	// on before it is revoked (tests shorten it); default the longest a
	// call to Vercel may take, plus a margin.
	TokenGrace time.Duration
}

// App is the wired server.
type App struct {
	Log           *slog.Logger
	DB            *db.DB
	Vault         *vault.Vault
	Installations *db.Installations
	Resources     *db.Resources
	Invoices      *db.Invoices
	Events        *db.Events
	Sessions      *db.Sessions
	Webhooks      *db.Webhooks
	Balances      *db.Balances
	Billing       *db.Billing
	Audit         *db.Audit
	Directory     *db.Directory
	Deliveries    *deliveries.Service
	Deployments   *deployments.Service
	Pushes        *eventpush.Service
	Autopilot     *autopilot.Autopilot
	Notifications *notifications.Service
	Credentials   *credentials.Service
	// Dunning is nil when billing.dunning.enabled is false.
	Dunning *dunning.Service
	Metrics *metrics.Metrics
	Handler http.Handler

	sessionLife *sso.Sessions
	staffLife   *staff.Sessions // nil without a console
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	interval    time.Duration
}

// browserRetry keeps a person's page waits short: one quick retry of a
// failed read; writes go through the delivery queue instead.
var browserRetry = vercelapi.RetryPolicy{MaxAttempts: 2, InitialInterval: 200 * time.Millisecond, MaxInterval: time.Second, Jitter: 100 * time.Millisecond}

// New opens the database and builds the server; Start runs its
// background work and Close stops it.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (*App, error) {
	v, err := NewVault(cfg)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.Database.Driver, cfg.Database.DSN)
	if err != nil {
		return nil, err
	}
	if opts.Now != nil {
		d.Now = opts.Now
	}
	for _, w := range d.Warnings {
		log.Warn("database: " + w)
	}
	a := &App{Log: log, DB: d, Vault: v, Metrics: metrics.New(),
		Installations: db.NewInstallations(d, v), Resources: db.NewResources(d), Invoices: db.NewInvoices(d),
		Events: db.NewEvents(d), Sessions: db.NewSessions(d), Webhooks: db.NewWebhooks(d), Balances: db.NewBalances(d),
		Billing: db.NewBilling(d), Audit: db.NewAudit(d), Directory: db.NewDirectory(d), interval: cfg.Billing.SubmitInterval}
	if err := a.build(cfg, opts); err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(cfg *config.Config, opts Options) error {
	clientOpts := []vercelapi.Option{vercelapi.WithVersion(opts.Version)}
	if opts.Transport != nil {
		clientOpts = append(clientOpts, vercelapi.WithHTTPClient(&http.Client{Transport: opts.Transport}))
	}
	if opts.Retry != nil {
		clientOpts = append(clientOpts, vercelapi.WithRetryPolicy(*opts.Retry))
	}
	// One client (one connection pool) for every call to Vercel.
	client, err := vercelapi.NewClient(cfg.Vercel.APIURL, clientOpts...)
	if err != nil {
		return err
	}
	caller := vercelcall.New(client, a.Installations, vercelcall.DefaultTimeout)
	dopts := queueOptions(cfg)
	if opts.Deliveries != nil {
		dopts = *opts.Deliveries
	}
	a.Deliveries = deliveries.New(deliveries.Deps{Store: db.NewDeliveries(a.DB), Vault: a.Vault, Vercel: caller, Metrics: a.Metrics, Log: a.Log}, dopts)
	if a.Pushes, err = eventpush.New(eventpush.Deps{Feed: a.Events, Store: db.NewPushes(a.DB), Registry: a.Metrics.Registry,
		Log: a.Log}, pushOptions(cfg, dopts)); err != nil {
		return err
	}
	life := lifecycle.New(lifecycle.Deps{Installations: a.Installations, Resources: a.Resources, Usage: a.Billing,
		Balances: a.Balances, Invoices: a.Invoices, Billing: a.Billing, Tx: a.DB.InTx, Catalog: cfg.Catalog(), Queue: a.Deliveries, Vercel: caller, Log: a.Log, Now: opts.Now,
		LateUsageGrace: cfg.Billing.LateUsageGrace})
	hook, err := provisioningHook(cfg)
	if err != nil {
		return err
	}
	res := resources.New(resources.Deps{Installations: a.Installations, Resources: a.Resources, Tx: a.DB.InTx,
		Catalog: cfg.Catalog(), Queue: a.Deliveries, Hook: hook, Log: a.Log})
	a.Notifications = notifications.New(a.Deliveries)
	a.Credentials = credentials.New(credentials.Deps{Store: db.NewCredentials(a.DB, a.Vault), Installations: a.Installations,
		Vercel: caller, ClientID: cfg.Vercel.ClientID, ClientSecret: cfg.Vercel.ClientSecret,
		Grace: cmp.Or(opts.TokenGrace, vercelcall.DefaultTimeout+tokenGraceMargin), Log: a.Log})
	apDeps := autopilot.Deps{Installations: a.Installations, Resources: a.Resources,
		Usage: a.Billing, Billing: a.Billing, Catalog: cfg.Catalog(), Deliveries: a.Deliveries, Lifecycle: life,
		Log: a.Log, Now: opts.Now, Grace: cfg.Billing.LateUsageGrace, Suspender: res}
	if cfg.Billing.Dunning.On() {
		a.Dunning = dunning.New(dunning.Deps{Installations: a.Installations, Resources: a.Resources, Store: db.NewDunning(a.DB),
			Tx: a.DB.InTx, Catalog: cfg.Catalog(), Notifications: a.Notifications, Suspender: res, Vercel: caller,
			PublicURL: cfg.PublicURL, Grace: cfg.Billing.Dunning.Grace, Log: a.Log, Now: opts.Now})
		apDeps.Dunning = a.Dunning
	}
	a.Autopilot = autopilot.New(apDeps)
	if cfg.Billing.AllowClockOverride {
		a.Log.Warn("billing.allow_clock_override is on: POST /internal/v1/billing/run may bill as of any time; never use it in production")
	}
	bg, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	verifier := vercelauth.NewVerifier(bg, cfg.Vercel.Issuer, cfg.Vercel.JWKSURL, cfg.Vercel.ClientID, nil)
	a.Metrics.KeySet(verifier.KeyFetches, verifier.RefusedRefreshes)
	idem := &handlers.Idempotency{Store: db.NewIdempotency(a.DB), Log: a.Log, Bound: requestBound(cfg, dopts)}
	a.Deployments = deployments.New(deployments.Deps{Store: db.NewDeployments(a.DB), Tx: a.DB.InTx, Resources: a.Resources,
		Catalog: cfg.Catalog(), Queue: a.Deliveries, Hook: hook, PublicURL: cfg.PublicURL, Log: a.Log},
		deployments.Options{ActionTimeout: cfg.Deployments.ActionTimeout, HookTimeout: cfg.Provisioning.HookTimeout,
			PollInterval: cfg.Deliveries.PollInterval})
	moves := transfers.New(transfers.Deps{Installations: a.Installations, Resources: a.Resources,
		Transfers: db.NewTransfers(a.DB), Tx: a.DB.InTx, Catalog: cfg.Catalog(), Hook: hook, Log: a.Log, Now: opts.Now})
	browser, err := a.dashboard(cfg, verifier, caller.WithRetry(browserRetry), client, res, opts.Now)
	if err != nil {
		cancel()
		return err
	}
	staffConsole, err := a.console(cfg, res, life, productName(cfg))
	if err != nil {
		cancel()
		return err
	}
	proxies, err := cfg.HTTP.Proxies()
	if err != nil {
		cancel()
		return err
	}
	r := chi.NewRouter()
	r.Use(handlers.ClientAddress(proxies), handlers.Observe(a.Log, a.Metrics), handlers.LimitBody(cfg.MaxBodyBytes))
	if strings.HasPrefix(cfg.PublicURL, "https://") {
		r.Use(handlers.HSTS)
	}
	ops.Routes(r, ops.Deps{Log: a.Log, DB: a.DB, Metrics: a.Metrics.Handler()})
	// Partner-API answers may carry resource secrets: kept sealed for replays.
	sealedIdem := &handlers.Idempotency{Store: &vault.SealedIdempotency{Store: idem.Store, Vault: a.Vault}, Log: a.Log, Bound: idem.Bound}
	r.Mount("/v1", partnerapi.New(partnerapi.Deps{Log: a.Log, Installations: life, Resources: res, Transfers: moves,
		Catalog: cfg.Catalog(), Verifier: verifier, Idempotency: sealedIdem}))
	r.Mount("/internal/v1", internalapi.New(internalapi.Deps{Log: a.Log, Tokens: internalTokens(cfg),
		Installations: a.Installations, Invoices: a.Invoices, Events: a.Events, Audit: a.Audit, Resources: res, Experimentation: res, Lifecycle: life,
		Deliveries: a.Deliveries, Deployments: a.Deployments, Pushes: a.Pushes, Notifications: a.Notifications, Credentials: a.Credentials,
		Vercel: caller, Idempotency: idem, Autopilot: a.Autopilot,
		AllowClockOverride: cfg.Billing.AllowClockOverride, Now: opts.Now}))
	wh := webhooks.Deps{Log: a.Log, ClientSecret: cfg.Vercel.ClientSecret, Store: a.Webhooks, Lifecycle: life,
		MaxBody: cfg.MaxBodyBytes, Deployments: a.Deployments}
	if a.Dunning != nil {
		wh.Dunning = a.Dunning
	}
	r.Mount("/webhooks", webhooks.New(wh))
	if staffConsole != nil {
		r.Mount("/console", staffConsole)
	}
	r.Mount("/", browser)
	r.NotFound(handlers.NotFound)
	r.MethodNotAllowed(handlers.MethodNotAllowed)
	a.Handler = r
	return nil
}

// internalTokens are internal_api.tokens, each named.
func internalTokens(cfg *config.Config) []internalapi.Token {
	var out []internalapi.Token
	for _, t := range cfg.InternalAPI.Tokens.Named() {
		out = append(out, internalapi.Token{Name: t.Name, Secret: t.Token})
	}
	return out
}

// queueOptions are the delivery queue's configured timings; the rest
// are the queue's defaults.
func queueOptions(cfg *config.Config) deliveries.Options {
	c := cfg.Deliveries
	return deliveries.Options{FirstAttemptTimeout: c.FirstAttemptTimeout, AttemptTimeout: c.AttemptTimeout,
		MaxAge: c.MaxAge, Workers: c.Workers, PollInterval: c.PollInterval}
}

// requestSlack is what a request under an Idempotency-Key may spend
// beyond its slowest call: its database work.
const requestSlack = 10 * time.Second

// requestBound is how long a request under an Idempotency-Key may run
// (its context ends then; its claim is held a margin longer): the slowest
// call it makes, the provisioning hook or a delivery's first attempt, and
// requestSlack. Each request makes at most one such call.
func requestBound(cfg *config.Config, q deliveries.Options) time.Duration {
	slowest := cmp.Or(q.FirstAttemptTimeout, deliveries.DefaultOptions().FirstAttemptTimeout)
	if cfg.Provisioning.HookURL != "" {
		slowest = max(slowest, cfg.Provisioning.HookTimeout)
	}
	return slowest + requestSlack
}

// pushOptions are the event push's settings: its URL, secret and
// timeout, and the queue's timings for the rest.
func pushOptions(cfg *config.Config, q deliveries.Options) eventpush.Options {
	return eventpush.Options{URL: cfg.Events.PushURL, Secret: cfg.Events.PushSecret, Timeout: cfg.Events.PushTimeout,
		Workers: q.Workers, PollInterval: q.PollInterval, BaseBackoff: q.BaseBackoff, MaxBackoff: q.MaxBackoff, MaxAge: q.MaxAge}
}

// provisioningHook is the configured hook client, nil in feed mode.
func provisioningHook(cfg *config.Config) (*provisioning.Client, error) {
	p := cfg.Provisioning
	if p.HookURL == "" {
		return nil, nil
	}
	return provisioning.New(p.HookURL, p.HookSecret, p.HookTimeout, nil)
}

func (a *App) dashboard(cfg *config.Config, verifier *vercelauth.Verifier, caller *vercelcall.Caller, client *vercelapi.Client,
	res *resources.Service, now func() time.Time) (http.Handler, error) {
	catalog := cfg.Catalog()
	product := productName(cfg)
	a.sessionLife = &sso.Sessions{Store: a.Sessions, IdleTimeout: cfg.Sessions.IdleTimeout, MaxAge: cfg.Sessions.MaxAge}
	return dashboard.New(dashboard.Deps{
		Log:         a.Log,
		PublicURL:   cfg.PublicURL,
		ProductName: product,
		Flow: &sso.Flow{Exchanger: client.WithRetryPolicy(browserRetry), Vercel: caller, Verifier: verifier,
			Installations: a.Installations, Members: a.Directory, ClientID: cfg.Vercel.ClientID, ClientSecret: cfg.Vercel.ClientSecret, Log: a.Log},
		Sessions:        a.sessionLife,
		Installations:   a.Installations,
		Resources:       a.Resources,
		Invoices:        a.Invoices,
		Items:           db.NewExperimentation(a.DB),
		Catalog:         catalog,
		Vercel:          caller,
		ResourceActions: res,
		Deployments:     a.Deployments,
		Support: dashboard.Support{Email: cfg.Dashboard.SupportEmail, URL: cfg.Dashboard.SupportURL,
			VercelURL: cfg.Dashboard.VercelURL},
		Usage:    a.Billing,
		Billing:  a.Billing,
		Projects: a.Webhooks,
		Now:      now,
	})
}

// productName is the name pages show: the catalog's first product's.
func productName(cfg *config.Config) string {
	if c := cfg.Catalog(); len(c) > 0 && c[0].Name != "" {
		return c[0].Name
	}
	return "Partner"
}

// Start runs the background delivery worker, the deployments worker, the
// event push and the billing autopilot until Close.
func (a *App) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	prev := a.cancel
	a.cancel = func() { cancel(); prev() }
	a.wg.Go(func() { a.Deliveries.Run(ctx) })
	a.wg.Go(func() { a.Deployments.Run(ctx) })
	a.wg.Go(func() { a.Pushes.Run(ctx) })
	a.wg.Go(func() { a.sessionLife.Run(ctx, time.Minute) })
	if a.staffLife != nil {
		a.wg.Go(func() { a.staffLife.Run(ctx, time.Minute) })
	}
	a.wg.Go(func() { a.Autopilot.Run(ctx, a.interval) })
	a.wg.Go(func() { a.Credentials.Run(ctx, time.Minute) })
	if a.Dunning != nil {
		a.wg.Go(func() { a.Dunning.Run(ctx) })
	}
}

// tokenGraceMargin is added to the longest call to Vercel before an old
// installation token is revoked (see credentials.Deps.Grace).
const tokenGraceMargin = 2 * time.Second

// Close stops background work and closes the database. Pending
// deliveries stay in the database for the next start.
func (a *App) Close() {
	a.cancel()
	a.wg.Wait()
	a.Deliveries.Close()
	a.DB.Close()
}

// NewVault builds the token vault from the configured keys.
func NewVault(cfg *config.Config) (*vault.Vault, error) {
	cur, err := config.DecodeKey(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("encryption_key: %w", err)
	}
	var prev [][]byte
	for _, k := range cfg.PreviousEncryptionKeys {
		b, err := config.DecodeKey(k)
		if err != nil {
			return nil, fmt.Errorf("previous_encryption_keys: %w", err)
		}
		prev = append(prev, b)
	}
	return vault.New(cur, prev...)
}
