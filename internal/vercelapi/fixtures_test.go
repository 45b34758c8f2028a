package vercelapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// Wire examples from Vercel's API reference, compacted before comparing.
const (
	docAccount = `{"contact": {"email": "ada@acme.dev", "name": "Ada Lovelace"}, "name": "Acme", "url": "https://vercel.com/acme/~/integrations/partner-db/icfg_9bceb8ccT32d3U417ezb5c8p"}`
	docMember  = `{"id": "9f3c2a7b41d04e6f", "role": "ADMIN", "globalUserId": "5e1d0c9b8a7f6e5d", "userEmail": "ada@acme.dev"}`
	docEvent   = `{"event": {"type": "resource.updated", "resourceId": "db_7Hq2Lx", "productId": "postgres"}}`
	docBilling = `{"timestamp": "2026-10-15T13:05:00.000Z", "eod": "2026-10-15T23:59:59.000Z",
 "period": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
 "billing": {"items": [{"billingPlanId": "pro200", "resourceId": "db_7Hq2Lx", "name": "Storage", "price": "0.10", "quantity": 42.5, "units": "GB", "total": "4.25"}],
             "discounts": [{"billingPlanId": "pro200", "resourceId": "db_7Hq2Lx", "name": "Launch credit", "amount": "1.00"}]},
 "usage": [{"resourceId": "db_7Hq2Lx", "name": "Storage", "type": "total", "units": "GB", "dayValue": 42.5, "periodValue": 42.5, "planValue": 500},
           {"resourceId": "db_7Hq2Lx", "name": "Queries", "type": "interval", "units": "1k queries", "dayValue": 310, "periodValue": 4650}]}`
	docBillingArray = `{"timestamp": "2026-10-15T13:05:00.000Z", "eod": "2026-10-15T23:59:59.000Z",
 "period": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
 "billing": [{"billingPlanId": "pro200", "name": "Storage", "price": "0.10", "quantity": 42.5, "units": "GB", "total": "4.25"}],
 "usage": []}`
	docInvoiceReq = `{"externalId": "inv_2026_10_0042", "invoiceDate": "2026-10-31T12:00:00.000Z", "memo": "October 2026",
 "period": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"},
 "items": [{"billingPlanId": "pro200", "resourceId": "db_7Hq2Lx", "name": "Pro plan", "price": "20.00", "quantity": 1, "units": "month", "total": "20.00"}],
 "discounts": [{"billingPlanId": "pro200", "resourceId": "db_7Hq2Lx", "name": "Launch credit", "amount": "7.50"}],
 "test": {"validate": true, "result": "paid"}}`
	docInvoiceResult = `{"invoiceId": "inv_V3rc3lQ8m2", "test": true, "validationErrors": []}`
	docInvoice       = `{"invoiceId": "inv_V3rc3lQ8m2", "externalId": "inv_2026_10_0042", "invoiceNumber": "V-2026-000123", "invoiceDate": "2026-10-31T12:00:00.000Z",
 "period": {"start": "2026-10-01T00:00:00.000Z", "end": "2026-11-01T00:00:00.000Z"}, "state": "paid", "total": "12.50",
 "items": [{"billingPlanId": "pro200", "resourceId": "db_7Hq2Lx", "name": "Pro plan", "price": "20.00", "quantity": 1, "units": "month", "total": "20.00"}],
 "discounts": [{"billingPlanId": "pro200", "resourceId": "db_7Hq2Lx", "name": "Launch credit", "amount": "7.50"}],
 "paidAt": "2026-11-02T09:14:00.000Z", "created": "2026-10-31T12:00:03.000Z", "updated": "2026-11-02T09:14:00.000Z"}`
	docRefund  = `{"action": "refund", "reason": "Outage credit for 2026-10-12", "total": "12.50"}`
	docSecrets = `{"secrets": [{"name": "DATABASE_URL", "value": "postgres://app:s3cr3t@db.partner.example:5432/main",
              "environmentOverrides": {"preview": "postgres://app:s3cr3t@db.partner.example:5432/preview"}},
             {"name": "DATABASE_TOKEN", "value": "tok_live_5kQ9wZ"}], "partial": true}`
	docSSOResponse = `{"id_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9...", "access_token": null, "token_type": null}`

	testToken = "vca_SECRET_installation_token"
	testIcfg  = "icfg_9bceb8ccT32d3U417ezb5c8p"
)

func compact(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact: %v", err)
	}
	return b.String()
}

func mustTime(t testing.TB, s string) Time {
	t.Helper()
	p, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return Time{p}
}

func oct2026(t testing.TB) Period {
	return Period{Start: mustTime(t, "2026-10-01T00:00:00Z"), End: mustTime(t, "2026-11-01T00:00:00Z")}
}

// docBillingData builds docBilling from Go values.
func docBillingData(t testing.TB) *BillingData {
	return &BillingData{
		Timestamp: mustTime(t, "2026-10-15T13:05:00Z"),
		EOD:       mustTime(t, "2026-10-15T23:59:59Z"),
		Period:    oct2026(t),
		Billing: BillingWithDiscounts(
			[]Item{{BillingPlanID: "pro200", ResourceID: "db_7Hq2Lx", Name: "Storage", Price: "0.10", Quantity: "42.5", Units: "GB", Total: "4.25"}},
			[]Discount{{BillingPlanID: "pro200", ResourceID: "db_7Hq2Lx", Name: "Launch credit", Amount: "1.00"}},
		),
		Usage: []Usage{
			{ResourceID: "db_7Hq2Lx", Name: "Storage", Type: UsageTotal, Units: "GB", DayValue: "42.5", PeriodValue: "42.5", PlanValue: new(json.Number("500"))},
			{ResourceID: "db_7Hq2Lx", Name: "Queries", Type: UsageInterval, Units: "1k queries", DayValue: "310", PeriodValue: "4650"},
		},
	}
}

// docInvoiceRequest builds docInvoiceReq from Go values.
func docInvoiceRequest(t testing.TB) *InvoiceRequest {
	return &InvoiceRequest{
		ExternalID:  "inv_2026_10_0042",
		InvoiceDate: mustTime(t, "2026-10-31T12:00:00Z"),
		Memo:        "October 2026",
		Period:      oct2026(t),
		Items:       []Item{{BillingPlanID: "pro200", ResourceID: "db_7Hq2Lx", Name: "Pro plan", Price: "20.00", Quantity: "1", Units: "month", Total: "20.00"}},
		Discounts:   []Discount{{BillingPlanID: "pro200", ResourceID: "db_7Hq2Lx", Name: "Launch credit", Amount: "7.50"}},
		Test:        &InvoiceTest{Validate: true, Result: TestResultPaid},
	}
}

func docSecretsUpdate() *SecretsUpdate {
	return &SecretsUpdate{
		Secrets: []Secret{
			{Name: "DATABASE_URL", Value: "postgres://app:s3cr3t@db.partner.example:5432/main",
				EnvironmentOverrides: &EnvironmentOverrides{Preview: "postgres://app:s3cr3t@db.partner.example:5432/preview"}},
			{Name: "DATABASE_TOKEN", Value: "tok_live_5kQ9wZ"},
		},
		Partial: true,
	}
}
