package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/childtest"
)

func TestMain(m *testing.M) { childtest.Main(m) }

func TestHelpListsEveryFlagAndSucceeds(t *testing.T) {
	fs, _, _, _, _ := demoFlags()
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
		var out bytes.Buffer
		if err := run(t.Context(), args, nil, &out); err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out.String(), "-"+f.Name+" ") {
				t.Errorf("%q: help lacks -%s", args, f.Name)
			}
		})
	}
}

func TestBadArgumentsAreNamed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-config", "c.yaml"}, `demo: flag provided but not defined: -config (-h lists the flags)`},
		{[]string{"serve"}, `demo: unexpected argument "serve" (-h lists the flags)`},
	} {
		err := run(t.Context(), tc.args, nil, &bytes.Buffer{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.args, err, tc.want)
		}
	}
}

func TestDemoSignsInThroughTheSimulator(t *testing.T) {
	var out childtest.Output
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-vercel-addr", "127.0.0.1:0", "-data", t.TempDir()},
			nil, &out)
	}()
	adminLink := regexp.MustCompile(`Open in Provider \(admin\):\s+(\S+)`)
	var link string
	for deadline := time.Now().Add(20 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := adminLink.FindStringSubmatch(out.String()); m != nil {
			link = m[1]
		}
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
	// The simulator plays the partner's event receiver: the feed's events
	// arrive there, each signature valid.
	sim, _ := url.Parse(link)
	var pushes string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(sim.Scheme + "://" + sim.Host + "/pushes"); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if pushes = string(b); strings.Contains(pushes, "installation.created") {
				break
			}
		}
	}
	if !strings.Contains(pushes, "installation.created") || !strings.Contains(pushes, ">valid<") || strings.Contains(pushes, ">invalid<") {
		t.Errorf("the simulator's /pushes page: %.600s", pushes)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo exit: %v", err)
	}
}
