package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vault"
)

func newVault(t *testing.T) *vault.Vault {
	v, err := vault.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var upsert = installations.Upsert{
	ID: "icfg_1", Scopes: []string{"read-write:integration-resource"}, AcceptedPolicies: map[string]string{"toc": "2024-02-28T10:00:00Z"},
	Account:     installations.Account{Name: "Acme", URL: "https://vercel.com/acme", ContactEmail: "ada@acme.dev"},
	Credentials: installations.Credentials{AccessToken: "tok_1", TokenType: "Bearer"},
}

func TestInstallationStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		s := db.NewInstallations(d, newVault(t))
		if _, err := s.Get(ctx, "icfg_1"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing: %v", err)
		}
		if _, err := s.Upsert(ctx, upsert); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPlan(ctx, "icfg_1", "pro200"); err != nil {
			t.Fatal(err)
		}
		again := upsert
		again.Credentials.AccessToken = "tok_2"
		in, err := s.Upsert(ctx, again)
		if err != nil || in.BillingPlanID != "pro200" || in.Scopes[0] != "read-write:integration-resource" {
			t.Fatalf("re-upsert: %+v %v", in, err)
		}
		if tok, _ := s.Token(ctx, "icfg_1"); tok != "tok_2" {
			t.Errorf("token %q", tok)
		}
		in, err = s.MarkDeleted(ctx, "icfg_1", true)
		if err != nil || in.Status != installations.StatusDeleted || in.DeletedAt == nil {
			t.Fatalf("delete: %+v %v", in, err)
		}
		if _, err := s.Token(ctx, "icfg_1"); err == nil {
			t.Error("token survives a wiping delete")
		}
		list, _ := s.List(ctx)
		if len(list) != 1 {
			t.Errorf("list %d", len(list))
		}
	})
}

func TestResourceAndInvoiceStores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		db.NewInstallations(d, newVault(t)).Upsert(ctx, upsert)
		rs := db.NewResources(d)
		r, err := rs.PutResource(ctx, installations.Resource{InstallationID: "icfg_1", ID: "db_1", ProductID: "postgres", Name: "main", Status: "ready"})
		if err != nil || string(r.Metadata) != "{}" {
			t.Fatalf("put: %+v %v", r, err)
		}
		r.Name = "renamed"
		rs.PutResource(ctx, r)
		got, _ := rs.GetResource(ctx, "icfg_1", "db_1")
		if got.Name != "renamed" {
			t.Errorf("name %q", got.Name)
		}
		if _, err := rs.GetResource(ctx, "icfg_1", "nope"); apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("missing resource: %v", err)
		}
		is := db.NewInvoices(d)
		period := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		inv := installations.Invoice{InstallationID: "icfg_1", ID: "inv_1", ExternalID: "ext_1", Total: "12.50", State: "pending", Test: true, PeriodStart: period, PeriodEnd: period.AddDate(0, 1, 0)}
		if err := is.PutInvoice(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if err := is.PutInvoice(ctx, installations.Invoice{InstallationID: "icfg_1", ID: "inv_1", State: "paid", PeriodStart: period, PeriodEnd: period}); err != nil {
			t.Fatal(err)
		}
		got2, err := is.GetInvoice(ctx, "icfg_1", "inv_1")
		if err != nil || got2.State != "paid" || got2.Total != "12.50" || got2.ExternalID != "ext_1" || !got2.Test {
			t.Errorf("invoice %+v %v", got2, err)
		}
	})
}

func TestMigrationsAreIdempotentAndConcurrent(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		d := dbtest.SQLite(t)
		if err := d.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := dbtest.PostgresDSN(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				d, err := db.Open(context.Background(), "postgres", dsn)
				if err == nil {
					d.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}
