package app

import (
	"testing"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/deliveries"
)

// TestConfigDefaultsAreTheQueues: the configuration's documented
// defaults for deliveries.* are the queue's own, so a server started
// without them behaves as one started with config.example.yaml.
func TestConfigDefaultsAreTheQueues(t *testing.T) {
	t.Parallel()
	cfg, err := config.LoadDatabase("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	got, want := queueOptions(cfg), deliveries.DefaultOptions()
	want.BaseBackoff, want.MaxBackoff, want.DeadAfterRepeats = 0, 0, 0 // not configurable
	if got != want {
		t.Errorf("configured defaults %+v, queue defaults %+v", got, want)
	}
}
