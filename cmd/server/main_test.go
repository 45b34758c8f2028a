package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv(t *testing.T, extra map[string]string) func(string) string {
	m := map[string]string{
		"PARTNER_ENCRYPTION_KEY":       base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"PARTNER_VERCEL_CLIENT_ID":     "oac_test",
		"PARTNER_VERCEL_CLIENT_SECRET": "secret",
		"PARTNER_DATABASE_DSN":         filepath.Join(t.TempDir(), "p.db"),
	}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, testEnv(t, nil), &out); err != nil || strings.TrimSpace(out.String()) == "" {
		t.Errorf("version: %q %v", out.String(), err)
	}
}

func TestBadConfigNamesEveryKeyOnOneLine(t *testing.T) {
	err := run(t.Context(), nil, func(string) string { return "" }, &bytes.Buffer{})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, k := range []string{"encryption_key", "vercel.client_id", "vercel.client_secret"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("%v does not name %s", err, k)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("not one line: %q", err)
	}
}

func TestServeAnswersHealthAndShutsDownCleanly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-config", "../../config.example.yaml"}, testEnv(t, map[string]string{"PARTNER_LISTEN": addr}), &syncWriter{w: &logs})
	}()
	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("healthz %d", res.StatusCode)
	}
	if res, err := http.Get("http://" + addr + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Errorf("readyz %v %v", res, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no shutdown")
	}
}
