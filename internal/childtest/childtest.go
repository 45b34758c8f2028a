// Package childtest runs this module's commands as child processes in
// tests: each command is built at most once per test binary, and what was
// built is removed when the tests end.
package childtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var built struct {
	mu   sync.Mutex
	dir  string
	bins map[string]build // by package directory
}

type build struct {
	bin string
	err error
}

// Main runs the tests, then removes the binaries Binary built. A package
// whose tests call Binary calls it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	built.mu.Lock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	built.mu.Unlock()
	os.Exit(code)
}

// Binary returns the path of the command in the package directory pkg
// ("." for the test's own), building it on the first call; under -short
// it skips the test.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a binary")
	}
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.bins == nil {
		built.bins = map[string]build{}
	}
	b, ok := built.bins[pkg]
	if !ok {
		b = buildOnce(pkg)
		built.bins[pkg] = b
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// buildOnce builds pkg into the shared directory; built.mu is held.
func buildOnce(pkg string) build {
	if built.dir == "" {
		dir, err := os.MkdirTemp("", "partner-server-test-")
		if err != nil {
			return build{err: err}
		}
		built.dir = dir
	}
	abs, err := filepath.Abs(pkg)
	if err != nil {
		return build{err: err}
	}
	bin := filepath.Join(built.dir, fmt.Sprintf("%s-%d", filepath.Base(abs), len(built.bins)))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return build{err: fmt.Errorf("go build %s: %v\n%s", pkg, err, out)}
	}
	return build{bin: bin}
}

// Output collects a child's output, or anything several goroutines write,
// safely.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
