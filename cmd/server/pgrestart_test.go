package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// pgRestartEnv enables TestPostgresRestart, which stops the PostgreSQL
// server every other test uses: .ci/run sets it in a step of its own.
// pgClusterEnv names the cluster ("15 main" by default, the one version
// installed).
const (
	pgRestartEnv = "PARTNER_TEST_PG_RESTART"
	pgClusterEnv = "PARTNER_TEST_PG_CLUSTER"
)

func pgCluster(t *testing.T) []string {
	if c := os.Getenv(pgClusterEnv); c != "" {
		return strings.Fields(c)
	}
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) != 1 {
		t.Fatalf("set %s: cannot pick a cluster from /etc/postgresql (%v)", pgClusterEnv, err)
	}
	return []string{versions[0].Name(), "main"}
}

func pgCtl(t *testing.T, action string) {
	t.Helper()
	args := append([]string{"--skip-systemctl-redirect"}, pgCluster(t)...)
	if out, err := exec.Command("pg_ctlcluster", append(args, action)...).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctlcluster %s: %v\n%s", action, err, out)
	}
}

// waitReady polls /readyz on every replica until each answers want.
func (c *cluster) waitReady(want int, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for i := range c.urls {
		for {
			res, err := http.Get(c.url(i) + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == want {
					break
				}
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("replica %d: /readyz never answered %d within %v\n%s", i, want, within, tail(c.logs.String(), 4000))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestPostgresRestart stops and starts PostgreSQL under two replicas
// taking writes: no accepted write is lost, readiness goes 503 and back
// to 200, and the processes recover without a restart.
func TestPostgresRestart(t *testing.T) {
	if os.Getenv(pgRestartEnv) != "1" {
		t.Skipf("stops the shared PostgreSQL server; set %s=1 to run it alone", pgRestartEnv)
	}
	c := newCluster(t, 2)
	const streams = 5 // installation events and 4 resources' secrets
	for s := 1; s < streams; s++ {
		c.sim.SetResource(clusterInst, fmt.Sprintf("db_%d", s), vercelsim.Resource{ProductID: "postgres", Name: fmt.Sprintf("db-%d", s)})
	}
	var stop atomic.Bool
	sent := make([]int, streams)
	ids := make([][]string, streams)
	var wg sync.WaitGroup
	for s := range streams {
		wg.Go(func() {
			for seq := 1; !stop.Load(); seq++ {
				ids[s] = append(ids[s], c.send(write{s, seq}, s+seq))
				sent[s] = seq
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(time.Second)
	stoppedAt := time.Now()
	pgCtl(t, "stop")
	c.waitReady(http.StatusServiceUnavailable, 15*time.Second)
	time.Sleep(time.Second) // writes meet the outage
	pgCtl(t, "start")
	startedAt := time.Now()
	c.waitReady(http.StatusOK, time.Minute)
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()

	all := slices.Concat(ids...)
	c.waitDelivered(all, 2*time.Minute)
	time.Sleep(200 * time.Millisecond)
	got := arrivals(t, c.sim)
	duringOutage := func(first time.Time) bool {
		return !first.Before(stoppedAt.Add(-time.Second)) && !first.After(startedAt)
	}
	dups := checkArrivals(t, got, sent, duringOutage, deliveryRows(t, c.dsn))
	t.Logf("%d writes accepted by 2 replicas across a PostgreSQL restart (down %v); answers refused or lost at the client, by status: %v; %d copies reached Vercel, %d second copies",
		len(all), startedAt.Sub(stoppedAt).Round(time.Millisecond), c.refusals, len(got), dups)
	if t.Failed() {
		t.Logf("server logs:\n%s", tail(c.logs.String(), 4000))
	}
}
