package vercelapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkForwardedCall is one CreateEvent against a local httptest server:
// validation, encoding, a loopback HTTP/1.1 exchange on a reused connection.
func BenchmarkForwardedCall(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer ts.Close()
	c, err := NewClient(ts.URL, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		b.Fatal(err)
	}
	ev := ResourceUpdated("db_7Hq2Lx", "postgres")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CreateEvent(b.Context(), testToken, testIcfg, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// inMemory201 answers 201 without a network, so the benchmarks below measure
// only the client's own work.
var inMemory201 = &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusCreated, Header: http.Header{}, Body: http.NoBody}, nil
})}

// BenchmarkClientOverhead is one CreateEvent with an in-memory transport.
func BenchmarkClientOverhead(b *testing.B) {
	c, err := NewClient("https://api.vercel.test", WithHTTPClient(inMemory201), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		b.Fatal(err)
	}
	ev := ResourceUpdated("db_7Hq2Lx", "postgres")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CreateEvent(b.Context(), testToken, testIcfg, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientOverheadBilling is one SubmitBillingData (doc example) with
// an in-memory transport: validation and encoding of a larger body.
func BenchmarkClientOverheadBilling(b *testing.B) {
	c, err := NewClient("https://api.vercel.test", WithHTTPClient(inMemory201), WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		b.Fatal(err)
	}
	bd := docBillingData(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.SubmitBillingData(b.Context(), testToken, testIcfg, bd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStrictBilling is the inbound side: strict decoding and
// validation of the doc's billing body.
func BenchmarkDecodeStrictBilling(b *testing.B) {
	data := []byte(docBilling)
	b.ReportAllocs()
	for b.Loop() {
		var bd BillingData
		if err := DecodeStrict(data, &bd); err != nil {
			b.Fatal(err)
		}
	}
}
