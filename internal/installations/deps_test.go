package installations

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImportsNoAdapter keeps the domain free of what belongs to its
// adapters: HTTP, SQL and the configuration's YAML.
func TestDomainImportsNoAdapter(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "net/http" || pkg == "database/sql" || strings.Contains(pkg, "yaml") {
			t.Errorf("the domain depends on %s", pkg)
		}
	}
}
