package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv(t *testing.T, extra map[string]string) []string {
	m := map[string]string{
		"PARTNER_ENCRYPTION_KEY":       base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"PARTNER_VERCEL_CLIENT_ID":     "oac_test",
		"PARTNER_VERCEL_CLIENT_SECRET": "secret",
		"PARTNER_DATABASE_DSN":         filepath.Join(t.TempDir(), "p.db"),
	}
	for k, v := range extra {
		m[k] = v
	}
	var environ []string
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	return environ
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, testEnv(t, nil), &out); err != nil || strings.TrimSpace(out.String()) == "" {
		t.Errorf("version: %q %v", out.String(), err)
	}
}

func TestBadConfigNamesEveryKeyOnOneLine(t *testing.T) {
	err := run(t.Context(), nil, nil, &bytes.Buffer{})
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
		done <- run(ctx, []string{"-config", "../../config.example.yaml"}, testEnv(t, map[string]string{"PARTNER_LISTEN": addr, "PARTNER_LISTNE": "typo",
			"PARTNER_VERCEL_CLIENT_SECRET": "your-client-secret"}), &syncWriter{w: &logs})
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
	if res, err := http.Get("http://" + addr + "/webhooks/vercel"); err != nil || res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
		t.Errorf("GET /webhooks/vercel: want 405 Allow POST, got %v %v", res, err)
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
	checkStartupLogs(t, logs.String(), addr)
}

// checkStartupLogs wants the misspelled variable and the placeholders
// (the README's client secret, config.example.yaml's support e-mail)
// warned about, and the start-up line to say what runs where, without
// the DSN.
func checkStartupLogs(t *testing.T, logs, addr string) {
	t.Helper()
	var warned, listening bool
	placeholders := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec["msg"] {
		case "environment variable matches no configuration key":
			warned = rec["level"] == "WARN" && rec["name"] == "PARTNER_LISTNE"
		case "configuration value looks like a placeholder; set the real one":
			if rec["level"] == "WARN" {
				placeholders[rec["key"].(string)] = rec["contains"].(string)
			}
		case "listening":
			listening = true
			_, port, _ := net.SplitHostPort(addr)
			want := map[string]any{"addr": addr, "version": Version(), "database": "sqlite", "public_url": "http://localhost:" + port}
			for k, v := range want {
				if rec[k] != v {
					t.Errorf("listening %s = %v, want %v", k, rec[k], v)
				}
			}
		}
	}
	if !warned || !listening {
		t.Errorf("warned %v, listening %v in:\n%s", warned, listening, logs)
	}
	if placeholders["vercel.client_secret"] != "your-client-secret" || placeholders["dashboard.support_email"] != "example" {
		t.Errorf("placeholders warned: %v, want vercel.client_secret and dashboard.support_email", placeholders)
	}
	if strings.Contains(logs, "@partner.example.com") {
		t.Errorf("a placeholder warning shows the value:\n%s", logs)
	}
	if strings.Contains(logs, "p.db") {
		t.Errorf("logs carry the DSN:\n%s", logs)
	}
}
