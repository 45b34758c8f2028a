package vercelapi

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMoneyValidate(t *testing.T) {
	t.Parallel()
	for _, ok := range []Money{"0", "12", "12.50", "0.10", "1000000.001"} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []Money{"", "12,50", "-1", "1e3", "+1", "1.", ".5", "$1", " 1", "1 ", "1.2.3", "NaN", "１"} {
		if bad.Validate() == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for cents, want := range map[int64]Money{0: "0.00", 5: "0.05", 1250: "12.50", 100: "1.00", -1: ""} {
		if got := MoneyFromCents(cents); got != want {
			t.Errorf("MoneyFromCents(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestMoneyFieldKeys(t *testing.T) {
	t.Parallel()
	for _, bad := range []Money{"12,50", "-1", "1e3", ""} {
		b := docBillingData(t)
		b.Billing.Items[0].Price = bad
		err := b.Validate()
		if !hasField(err, "billing.items[0].price") {
			t.Errorf("price %q: %v", bad, err)
		}
		inv := docInvoiceRequest(t)
		inv.Discounts[0].Amount = bad
		if err := inv.Validate(); !hasField(err, "discounts[0].amount") {
			t.Errorf("amount %q: %v", bad, err)
		}
	}
}

func hasField(err error, key string) bool {
	ve, ok := errors.AsType[*ValidationError](err)
	return ok && slices.ContainsFunc(ve.Fields, func(f FieldError) bool { return f.Key == key })
}

func TestTime(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("x", 2*3600)
	b, err := json.Marshal(NewTime(time.Date(2026, 11, 1, 2, 0, 0, 123456789, loc)))
	if err != nil || string(b) != `"2026-11-01T00:00:00.123Z"` {
		t.Errorf("marshal = %s, %v", b, err)
	}
	for in, want := range map[string]time.Time{
		`"2026-11-01T00:00:00Z"`:           time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		`"2026-11-01T00:00:00.000Z"`:       time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		`"2026-11-01T02:00:00.5+02:00"`:    time.Date(2026, 11, 1, 0, 0, 0, 5e8, time.UTC),
		`"2026-11-01T00:00:00.123456789Z"`: time.Date(2026, 11, 1, 0, 0, 0, 123456789, time.UTC),
	} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || !got.Equal(want) {
			t.Errorf("unmarshal %s = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{`"2026-11-01"`, `"yesterday"`, `1730000000`, `"2026-13-01T00:00:00Z"`} {
		var got Time
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("unmarshal %s accepted", bad)
		}
	}
}

func TestBillingFormsRoundTrip(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{"object": docBilling, "array": docBillingArray,
		"object without discounts": strings.Replace(docBillingArray, `"billing": [`, `"billing": {"items": [`, 1) + "",
	} {
		if name == "object without discounts" {
			doc = strings.Replace(doc, `"total": "4.25"}],`, `"total": "4.25"}]},`, 1)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b BillingData
			if err := DecodeStrict([]byte(doc), &b); err != nil {
				t.Fatalf("DecodeStrict: %v", err)
			}
			out, err := json.Marshal(&b)
			if err != nil {
				t.Fatal(err)
			}
			if want := compact(t, doc); string(out) != want {
				t.Errorf("round trip:\n got %s\nwant %s", out, want)
			}
		})
	}
	// Built in Go, each form marshals as constructed.
	items := []Item{{BillingPlanID: "p", Name: "n", Price: "1", Quantity: "1", Units: "u", Total: "1"}}
	arr, _ := json.Marshal(BillingItems(items...))
	obj, _ := json.Marshal(BillingWithDiscounts(items, nil))
	if arr[0] != '[' || !strings.HasPrefix(string(obj), `{"items":[`) || strings.Contains(string(obj), "discounts") {
		t.Errorf("array form %s, object form %s", arr, obj)
	}
	// The array form cannot carry discounts.
	b := docBillingData(t)
	b.Billing.Form = BillingFormArray
	if err := b.Validate(); !hasField(err, "billing.discounts") {
		t.Errorf("array form with discounts: %v", err)
	}
	// usage may be empty but is never null.
	b = docBillingData(t)
	b.Usage = nil
	out, _ := json.Marshal(b)
	if !strings.HasSuffix(string(out), `"usage":[]}`) {
		t.Errorf("nil usage marshalled as %s", out)
	}
}

func TestBillingUnmarshalIsStrict(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`{"items":[],"bogus":1}`,
		`[{"billingPlanId":"p","bogus":1}]`,
		`{"items":[{"billingPlanId":"p","bogus":1}]}`,
		`"items"`,
		`null`,
	} {
		var b Billing
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("Billing accepted %s", bad)
		}
	}
}

func TestNotificationPatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		u    InstallationUpdate
		want string
	}{
		{"absent", InstallationUpdate{Status: StatusReady}, `{"status":"ready"}`},
		{"clear", InstallationUpdate{Notification: ClearNotification()}, `{"notification":null}`},
		{"set", InstallationUpdate{Notification: SetNotification(Notification{Level: LevelInfo, Title: "Hi"})},
			`{"notification":{"level":"info","title":"Hi"}}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(&tt.u)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got, err, tt.want)
		}
		var back InstallationUpdate
		if err := DecodeStrict(got, &back); err != nil || back.Notification.Set != tt.u.Notification.Set ||
			(back.Notification.Value == nil) != (tt.u.Notification.Value == nil) {
			t.Errorf("%s: decoded %+v, %v", tt.name, back, err)
		}
	}
	var r UpdateResourceRequest
	if err := DecodeStrict([]byte(`{"notification":null}`), &r); err != nil || !r.Notification.Set || r.Notification.Value != nil {
		t.Errorf("UpdateResourceRequest null notification: %+v, %v", r, err)
	}
	if out, _ := json.Marshal(&r); string(out) != `{"notification":null}` {
		t.Errorf("re-marshalled %s", out)
	}
}

func TestEventOnlySendsItsKeys(t *testing.T) {
	t.Parallel()
	e := &Event{Type: EventInstallationUpdated, BillingPlanID: "p", ResourceID: "r", ProductID: "x"}
	if out, _ := json.Marshal(e); string(out) != `{"type":"installation.updated","billingPlanId":"p"}` {
		t.Errorf("installation.updated = %s", out)
	}
	if err := e.Validate(); !hasField(err, "event.resourceId") || !hasField(err, "event.productId") {
		t.Errorf("Validate = %v", err)
	}
	e = &Event{Type: EventResourceUpdated, BillingPlanID: "p", ResourceID: "r"}
	if out, _ := json.Marshal(e); string(out) != `{"type":"resource.updated","resourceId":"r"}` {
		t.Errorf("resource.updated = %s", out)
	}
	if err := e.Validate(); !hasField(err, "event.billingPlanId") {
		t.Errorf("Validate = %v", err)
	}
	if err := (&Event{Type: "resource.deleted"}).Validate(); !hasField(err, "event.type") {
		t.Errorf("unknown type: %v", err)
	}
}

func TestResourceSecretsForms(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"secrets":[{"name":"A","value":"b"}]}`,
		`{"secrets":{"secrets":[{"name":"A","value":"b"}]}}`,
		`{"secrets":{"secrets":[{"name":"A","value":"b"}],"partial":false}}`,
	} {
		var r UpdateResourceRequest
		if err := DecodeStrict([]byte(doc), &r); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if out, _ := json.Marshal(&r); string(out) != doc {
			t.Errorf("round trip %s -> %s", doc, out)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		into func() any
		body string
		key  string // "" with msg: top-level problem
		msg  string // substring of the message
	}{
		{"unknown key in item", func() any { return new(InvoiceRequest) },
			strings.Replace(docInvoiceReq, `"units": "month"`, `"units": "month", "bogus": 1`, 1), "items[0].bogus", "unknown key"},
		{"unknown top-level key", func() any { return new(InvoiceRequest) },
			strings.Replace(docInvoiceReq, `"memo"`, `"currency": "usd", "memo"`, 1), "currency", "unknown key"},
		{"unknown key inside billing object", func() any { return new(BillingData) },
			strings.Replace(docBilling, `"discounts"`, `"credits": [], "discounts"`, 1), "billing.credits", "unknown key"},
		{"unknown key inside billing array item", func() any { return new(BillingData) },
			strings.Replace(docBillingArray, `"units": "GB"`, `"units": "GB", "currency": "usd"`, 1), "billing[0].currency", "unknown key"},
		{"billing wrong type", func() any { return new(BillingData) },
			strings.Replace(docBillingArray, `"billing": [`, `"billing": "x", "ignored": [`, 1), "billing", "array of items"},
		{"money 12,50", func() any { return new(InvoiceAction) }, `{"action":"refund","reason":"r","total":"12,50"}`, "total", "decimal"},
		{"money -1", func() any { return new(InvoiceAction) }, `{"action":"refund","reason":"r","total":"-1"}`, "total", "decimal"},
		{"money 1e3", func() any { return new(InvoiceAction) }, `{"action":"refund","reason":"r","total":"1e3"}`, "total", "decimal"},
		{"money empty", func() any { return new(InvoiceAction) }, `{"action":"refund","reason":"r","total":""}`, "total", "required"},
		{"money as number", func() any { return new(InvoiceAction) }, `{"action":"refund","reason":"r","total":12.5}`, "total", "must be a string"},
		{"action not refund", func() any { return new(InvoiceAction) }, `{"action":"cancel","reason":"r","total":"1"}`, "action", "refund"},
		{"missing required", func() any { return new(InvoiceAction) }, `{"action":"refund","total":"1"}`, "reason", "required"},
		{"missing required number", func() any { return new(BillingData) },
			strings.Replace(docBillingArray, `"quantity": 42.5, `, ``, 1), "billing[0].quantity", "required"},
		{"quantity as string", func() any { return new(BillingData) },
			strings.Replace(docBillingArray, `"quantity": 42.5`, `"quantity": "42.5"`, 1), "billing[0].quantity", "must be a number"},
		{"bad date", func() any { return new(BillingData) },
			strings.Replace(docBilling, `"start": "2026-10-01T00:00:00.000Z"`, `"start": "2026-10-01"`, 1), "period.start", "RFC 3339"},
		{"date as number", func() any { return new(BillingData) },
			strings.Replace(docBilling, `"timestamp": "2026-10-15T13:05:00.000Z"`, `"timestamp": 1760533500`, 1), "timestamp", "must be a string"},
		{"eod outside period", func() any { return new(BillingData) },
			strings.Replace(docBilling, `"eod": "2026-10-15T23:59:59.000Z"`, `"eod": "2026-11-15T23:59:59.000Z"`, 1), "eod", "within period"},
		{"usage type enum", func() any { return new(BillingData) },
			strings.Replace(docBilling, `"type": "interval"`, `"type": "gauge"`, 1), "usage[1].type", "total, interval, rate"},
		{"period reversed", func() any { return new(InvoiceRequest) },
			strings.Replace(docInvoiceReq, `"end": "2026-11-01T00:00:00.000Z"`, `"end": "2026-10-01T00:00:00.000Z"`, 1), "period.end", "after"},
		{"invoiceDate outside period", func() any { return new(InvoiceRequest) },
			strings.Replace(docInvoiceReq, `"invoiceDate": "2026-10-31T12:00:00.000Z"`, `"invoiceDate": "2026-12-31T12:00:00.000Z"`, 1), "invoiceDate", "within period"},
		{"test result enum", func() any { return new(InvoiceRequest) },
			strings.Replace(docInvoiceReq, `"result": "paid"`, `"result": "failed"`, 1), "test.result", "paid, notpaid, overdue"},
		{"environmentOverrides key", func() any { return new(SecretsUpdate) },
			strings.Replace(docSecrets, `{"preview"`, `{"staging": "x", "preview"`, 1), "secrets[0].environmentOverrides.staging", "unknown key"},
		{"partial not bool", func() any { return new(SecretsUpdate) },
			strings.Replace(docSecrets, `"partial": true`, `"partial": "true"`, 1), "partial", "boolean"},
		{"event bogus key", func() any { return new(EventRequest) }, `{"event":{"type":"resource.updated","resourceId":"r","bogus":1}}`, "event.bogus", "unknown key"},
		{"event missing resourceId", func() any { return new(EventRequest) }, `{"event":{"type":"resource.updated"}}`, "event.resourceId", "required"},
		{"event missing", func() any { return new(EventRequest) }, `{}`, "event", "required"},
		{"event null", func() any { return new(EventRequest) }, `{"event":null}`, "event", "required"},
		{"trailing data", func() any { return new(EventRequest) }, docEvent + ` {}`, "", "after the top-level value"},
		{"trailing garbage", func() any { return new(EventRequest) }, docEvent + `x`, "", "malformed JSON"},
		{"malformed", func() any { return new(EventRequest) }, `{"event":`, "", "malformed JSON"},
		{"empty body", func() any { return new(EventRequest) }, ``, "", "required"},
		{"top level array", func() any { return new(EventRequest) }, `[]`, "", "must be an object"},
		{"null string field", func() any { return new(InvoiceAction) }, `{"action":null,"reason":"r","total":"1"}`, "action", "must be a string"},
		{"metadata value type", func() any { return new(ImportResourceRequest) },
			`{"productId":"p","name":"n","status":"ready","metadata":{"tags":[1,"a"]}}`, "metadata.tags", "array of strings or of numbers"},
		{"updateResource secrets unknown key", func() any { return new(UpdateResourceRequest) },
			`{"secrets":{"secrets":[],"replace":true}}`, "secrets.replace", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := DecodeStrict([]byte(tt.body), tt.into())
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if !slices.ContainsFunc(ve.Fields, func(f FieldError) bool { return f.Key == tt.key && strings.Contains(f.Message, tt.msg) }) {
				t.Errorf("fields = %+v, want key %q with %q", ve.Fields, tt.key, tt.msg)
			}
		})
	}
}

func TestDecodeStrictAcceptsDocExamples(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		into any
	}{
		{docEvent, new(EventRequest)},
		{`{"event": {"type": "installation.updated", "billingPlanId": "pro200"}}`, new(EventRequest)},
		{docBilling, new(BillingData)},
		{docBillingArray, new(BillingData)},
		{docInvoiceReq, new(InvoiceRequest)},
		{docRefund, new(InvoiceAction)},
		{docSecrets, new(SecretsUpdate)},
		{`{"timestamp":"2026-10-15T13:05:00Z","balances":[{"currencyValueInCents":0}]}`, new(PrepaymentBalances)},
	} {
		if err := DecodeStrict([]byte(tt.body), tt.into); err != nil {
			t.Errorf("%.40s...: %v", tt.body, err)
		}
		out, _ := json.Marshal(tt.into)
		if !strings.HasPrefix(tt.body, `{"timestamp":"2026-10-15T13:05:00Z"`) && string(out) != compact(t, tt.body) {
			t.Errorf("re-marshal:\n got %s\nwant %s", out, compact(t, tt.body))
		}
	}
	if err := DecodeStrict([]byte(`{}`), EventRequest{}); err == nil {
		t.Error("non-pointer accepted")
	}
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	err := (&InvoiceAction{Action: "refund", Total: "x"}).Validate()
	if got := err.Error(); got != `vercelapi: invalid request: reason: required; total: must be a non-negative decimal string like "12.50"` {
		t.Errorf("Error() = %s", got)
	}
}

// Quantities and usage values go out exactly as given, digits a float64
// would lose included, and anything but a non-negative number is refused.
func TestExactQuantities(t *testing.T) {
	const q = "12345678901234567.000000000000000001"
	p := oct2026(t)
	b := BillingData{Timestamp: p.Start, EOD: p.Start, Period: p,
		Billing: BillingItems(Item{BillingPlanID: "p", Name: "n", Price: "1", Quantity: q, Units: "u", Total: "1"}),
		Usage:   []Usage{{Name: "n", Type: UsageInterval, Units: "u", DayValue: q, PeriodValue: q}}}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), q); n != 3 {
		t.Errorf("%s appears %d times in %s, want 3", q, n, out)
	}
	for _, bad := range []json.Number{"", "-1", "1e", "abc"} {
		b.Usage[0].DayValue = bad
		if b.Validate() == nil {
			t.Errorf("dayValue %q accepted", bad)
		}
	}
}
