package deliveries

import (
	"testing"
	"time"
)

func TestBackoffGrowsIsCappedAndHonoursHints(t *testing.T) {
	t.Parallel()
	for n := 1; n < 40; n++ {
		got := backoff(n, time.Second, time.Minute, 0)
		lo := min(time.Second<<min(n-1, 20), time.Minute) / 2
		if got < lo || got > time.Minute {
			t.Errorf("attempt %d: %v outside [%v, 1m]", n, got, lo)
		}
	}
	if got := backoff(1, time.Second, time.Minute, 7*time.Second); got != 7*time.Second {
		t.Errorf("hint: %v", got)
	}
}
