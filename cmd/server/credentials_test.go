package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestKilledRotationResumesAtStart runs the real binary, rotates an
// installation's token and kills the process with SIGKILL between the
// rotation and the revocation of the old token (the simulated Vercel
// holds the revoke call). Started again, the server revokes the old
// token itself; the new token works; no call ever went out with a
// revoked token. Then "server credentials rotate" rotates it once more.
func TestKilledRotationResumesAtStart(t *testing.T) {
	bin := serverBinary(t)
	sim, err := vercelsim.Start(vercelsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const (
		inst     = "icfg_9bceb8ccT32d3U417ezb5c8p"
		internal = "rotation-test-internal-token-1234"
	)
	env := append(childEnv(sim, internal), "PARTNER_DATABASE_DSN="+filepath.Join(t.TempDir(), "partner.db"))
	var logs lockedBuffer
	cmd, url := startChild(t, bin, env, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := sim.Install(ctx, url, inst)
	if err != nil {
		t.Fatal(err)
	}
	sim.Enqueue(vercelsim.RouteRevokeCredential, vercelsim.Fault{Delay: time.Hour}) // held until the caller goes
	go func() {                                                                     // its answer dies with the server
		req, _ := http.NewRequest("POST", url+"/internal/v1/installations/"+inst+"/credentials/rotate", nil)
		req.Header.Set("Authorization", "Bearer "+internal)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); sim.PendingFaults(vercelsim.RouteRevokeCredential) != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the revocation never reached Vercel:\n%s", logs.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	st, _ := sim.Installation(inst)
	second := st.AccessToken
	if second == first || len(st.OldTokens) != 1 || st.OldTokens[0] != first {
		t.Fatalf("before the restart Vercel has %+v; want a new token and the old one still live", st)
	}

	cmd, url = startChild(t, bin, env, &logs)
	for deadline := time.Now().Add(30 * time.Second); !sim.TokenRevoked(inst, first); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the old token was not revoked after the restart:\n%s", logs.String())
		}
	}
	if status, body := internalCall(t, url, internal, "GET", "/installations/"+inst+"/account", ""); status != http.StatusOK {
		t.Errorf("a call after the restart: %d %v", status, body)
	}
	if st, _ := sim.Installation(inst); st.AccessToken != second || st.RevokedUses != 0 {
		t.Errorf("Vercel has token %q (want the rotated one) and saw %d calls with a revoked token", st.AccessToken, st.RevokedUses)
	}
	if !hasEvent(readFeed(t, url, internal), "installation.credential_rotated") {
		t.Error("the feed does not say the token was rotated")
	}

	// The command, on the same database (the server stopped).
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	var out bytes.Buffer
	if err := run(ctx, []string{"credentials", "rotate", inst}, env, &out); err != nil {
		t.Fatalf("credentials rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), inst+": new token in use since") || !strings.Contains(out.String(), "the old one is revoked") {
		t.Errorf("the command said %q", out.String())
	}
	st, _ = sim.Installation(inst)
	if !sim.TokenRevoked(inst, second) || st.AccessToken == second || st.RevokedUses != 0 {
		t.Errorf("after the command Vercel has %+v", st)
	}
	if strings.Contains(out.String(), st.AccessToken) || strings.Contains(logs.String(), st.AccessToken) ||
		strings.Contains(logs.String(), second) || strings.Contains(logs.String(), first) {
		t.Error("a token appears in the output or the logs")
	}
}

func hasEvent(evs []feedEvent, typ string) bool {
	for _, ev := range evs {
		if ev.Type == typ {
			return true
		}
	}
	return false
}

func TestCredentialsCommandNeedsOneInstallationOrAll(t *testing.T) {
	for _, args := range [][]string{{"credentials"}, {"credentials", "rotate"}, {"credentials", "rotate", "--all", "icfg_1"},
		{"credentials", "revoke", "icfg_1"}} {
		err := run(t.Context(), args, nil, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "usage: server credentials rotate") {
			t.Errorf("%q: %v, want the usage", args, err)
		}
	}
}

func TestCredentialsCommandNamesItsDatabaseAndNeverCreatesOne(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing-here.db")
	env := []string{"PARTNER_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"PARTNER_VERCEL_CLIENT_ID=oac_test", "PARTNER_VERCEL_CLIENT_SECRET=test-secret", "PARTNER_DATABASE_DSN=" + missing}
	var out bytes.Buffer
	err := run(t.Context(), []string{"credentials", "rotate", "--all"}, env, &out)
	if err == nil || !strings.Contains(err.Error(), "no database at "+missing) {
		t.Fatalf("rotate on a missing database: %v, want it refused and named", err)
	}
	if _, serr := os.Stat(missing); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("the command created %s", missing)
	}
}
