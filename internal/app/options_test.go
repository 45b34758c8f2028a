package app

import (
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/config"
	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/handlers"
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

// TestRequestBoundCoversTheSlowestCall: a request under an
// Idempotency-Key may run as long as its slowest call (any valid
// hook_timeout, up to 5m, or the first delivery attempt) and its database
// work, and no retry takes its claim over before that.
func TestRequestBoundCoversTheSlowestCall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hook, firstAttempt time.Duration
		want               time.Duration
	}{
		{0, 0, 3*time.Second + requestSlack}, // feed mode, the queue's default first attempt
		{0, 8 * time.Second, 8*time.Second + requestSlack},
		{10 * time.Second, 0, 10*time.Second + requestSlack},
		{90 * time.Second, 3 * time.Second, 90*time.Second + requestSlack},
		{5 * time.Minute, 0, 5*time.Minute + requestSlack},
	} {
		cfg := &config.Config{}
		if tc.hook > 0 {
			cfg.Provisioning = config.Provisioning{HookURL: "https://hook.example", HookTimeout: tc.hook}
		}
		got := requestBound(cfg, deliveries.Options{FirstAttemptTimeout: tc.firstAttempt})
		if got != tc.want || got+handlers.HoldMargin <= max(tc.hook, tc.firstAttempt) {
			t.Errorf("hook %v, first attempt %v: bound %v, want %v", tc.hook, tc.firstAttempt, got, tc.want)
		}
	}
}
