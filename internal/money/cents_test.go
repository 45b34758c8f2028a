package money

import (
	"errors"
	"math"
	"testing"
)

func TestAddCentsRefusesOverflow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b int64
		want int64
		err  error
	}{
		{"small", 1250, 99, 1349, nil},
		{"negative", -5, -7, -12, nil},
		{"up to the top", math.MaxInt64 - 1, 1, math.MaxInt64, nil},
		{"past the top", math.MaxInt64, 1, 0, ErrCentsRange},
		{"two halves of too much", 5e18, 5e18, 0, ErrCentsRange},
		{"down to the bottom", math.MinInt64 + 1, -1, math.MinInt64, nil},
		{"past the bottom", math.MinInt64, -1, 0, ErrCentsRange},
	}
	for _, tt := range tests {
		got, err := AddCents(tt.a, tt.b)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%s: AddCents(%d, %d) = %d, %v; want %d, %v", tt.name, tt.a, tt.b, got, err, tt.want, tt.err)
		}
	}
}
