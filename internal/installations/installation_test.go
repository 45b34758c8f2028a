package installations

import (
	"errors"
	"testing"
)

// TestLifecycleRules: what an installation takes in each state.
func TestLifecycleRules(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status      string
		takesMore   error // writes to Vercel, usage
		live        error // Vercel's changes
		finalizable error
	}{
		{StatusActive, nil, nil, ErrNotUninstalled},
		{StatusPendingFinalization, nil, ErrUninstalled, nil},
		{StatusDeleted, ErrFinalized, ErrUninstalled, ErrNotUninstalled},
	} {
		in := Installation{Status: c.status}
		if err := in.TakesMore(); !errors.Is(err, c.takesMore) {
			t.Errorf("%s: TakesMore = %v, want %v", c.status, err, c.takesMore)
		}
		if err := in.Live(); !errors.Is(err, c.live) {
			t.Errorf("%s: Live = %v, want %v", c.status, err, c.live)
		}
		if err := in.Finalizable(); !errors.Is(err, c.finalizable) {
			t.Errorf("%s: Finalizable = %v, want %v", c.status, err, c.finalizable)
		}
		if in.Finalized() != (c.status == StatusDeleted) {
			t.Errorf("%s: Finalized = %v", c.status, in.Finalized())
		}
	}
}
