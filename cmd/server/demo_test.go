package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDemoSignsInThroughTheSimulator(t *testing.T) {
	var out syncWriter
	var buf bytes.Buffer
	out.w = &buf
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-vercel-addr", "127.0.0.1:0", "-data", t.TempDir()},
			nil, &out)
	}()
	adminLink := regexp.MustCompile(`Open in Provider \(admin\):\s+(\S+)`)
	var link string
	for deadline := time.Now().Add(20 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out.mu.Lock()
		if m := adminLink.FindStringSubmatch(buf.String()); m != nil {
			link = m[1]
		}
		out.mu.Unlock()
	}
	if link == "" {
		cancel()
		t.Fatalf("demo printed no link; err=%v", <-done)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasSuffix(res.Request.URL.Path, "/dashboard") || !strings.Contains(string(page), "main-db") {
		t.Errorf("landed on %s (%d): %.300s", res.Request.URL, res.StatusCode, page)
	}
	res, err = client.Get(strings.TrimSuffix(res.Request.URL.String(), "/dashboard") + "/dashboard/invoices")
	if err == nil {
		page, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err != nil || !strings.Contains(string(page), "20.00") {
		t.Errorf("seeded invoice not listed: %v %.300s", err, page)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo exit: %v", err)
	}
}
