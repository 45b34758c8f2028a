package handlers

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSurfacesDoNotReachTheDatabase keeps every HTTP surface on the use
// cases and the store interfaces: none links internal/db.
func TestSurfacesDoNotReachTheDatabase(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 5 {
		t.Fatalf("go list found %d packages under internal/handlers", len(lines))
	}
	for _, line := range lines {
		pkg, deps, _ := strings.Cut(line, " ")
		for _, dep := range strings.Fields(deps) {
			if strings.HasSuffix(dep, "/partner-server/internal/db") {
				t.Errorf("%s depends on internal/db", pkg)
			}
		}
	}
}
