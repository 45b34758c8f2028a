package db_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vault"

	"github.com/vercel-partner/partner-server/internal/db"
	"github.com/vercel-partner/partner-server/internal/db/dbtest"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// BenchmarkInsertDelivery records leased deliveries, each heading its own
// ordering key, as a forwarded write does.
func BenchmarkInsertDelivery(b *testing.B) {
	ctx := b.Context()
	d := dbtest.SQLite(b)
	v, _ := vault.New(make([]byte, 32))
	if _, err := db.NewInstallations(d, v).Upsert(ctx, installations.Upsert{ID: "icfg_1", Scopes: []string{"s"},
		Credentials: installations.Credentials{AccessToken: "t", TokenType: "Bearer"}}); err != nil {
		b.Fatal(err)
	}
	s := db.NewDeliveries(d)
	now := time.Now()
	insert := func() {
		id := "dlv_" + rand.Text()
		_, leased, err := s.InsertDelivery(ctx, installations.Delivery{ID: id, InstallationID: "icfg_1",
			Operation: "submitInvoice", OrderKey: "icfg_1|submission|" + id, Status: installations.DeliveryPending,
			CreatedAt: now, NextAttemptAt: now, Body: `{"items":[]}`}, "req_1", now.Add(time.Minute), nil)
		if err != nil || !leased {
			b.Fatal(leased, err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		insert()
	}
	reportPages(b, d, insert)
}

// BenchmarkStoreUpsert re-installs one installation: a row update and an event.
func BenchmarkStoreUpsert(b *testing.B) {
	ctx := b.Context()
	d := dbtest.SQLite(b)
	v, _ := vault.New(make([]byte, 32))
	s := db.NewInstallations(d, v)
	u := installations.Upsert{ID: "icfg_1", Scopes: []string{"s"},
		Credentials: installations.Credentials{AccessToken: "t", TokenType: "Bearer"}}
	upsert := func() {
		if _, err := s.Upsert(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		upsert()
	}
	reportPages(b, d, upsert)
}

// reportPages reports the pages per write that 500 more writes, each
// committed on its own, append to the write-ahead log.
func reportPages(b *testing.B, d *db.DB, write func()) {
	const n = 500
	// The pool has one writer connection: the pragmas reach the one that writes.
	if _, err := d.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		b.Fatal(err)
	}
	var busy, frames, copied int
	if err := d.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil || busy != 0 {
		b.Fatal(busy, err)
	}
	for range n {
		write()
	}
	if err := d.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(frames)/n, "pages/op")
}
