package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServerLeavesOutTheSimulatorAndTestCode keeps the Vercel simulator (an
// OIDC issuer that signs tokens) and test helpers out of the production
// binary: they belong to the demo and the tests.
func TestServerLeavesOutTheSimulatorAndTestCode(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		ours, isOurs := strings.CutPrefix(pkg, "github.com/vercel-partner/partner-server/")
		if pkg == "testing" || isOurs && (ours == "internal/vercelsim" || strings.HasSuffix(ours, "test")) {
			t.Errorf("the server binary links %s", pkg)
		}
	}
}
