package money

import "math"

// AddCents returns a + b, or ErrCentsRange when the sum does not fit in
// int64: balances and period amounts are int64 cents, and a wrapped sum
// would turn a huge charge into a credit.
func AddCents(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, ErrCentsRange
	}
	return a + b, nil
}
