// Package money does exact decimal arithmetic for prices, usage quantities
// and amounts, without floating point anywhere.
//
// A Decimal is an arbitrary-precision integer coefficient and a base-10
// scale: value = coefficient / 10^scale. We use math/big rather than int64
// micro-units because a day's usage can reach 10^15 units and more, which at
// micro-unit precision is 10^21, beyond int64's 9.2*10^18, and because a
// catalog price may have more than six decimal places. A big.Int never
// overflows, and nothing is rounded unless RoundHalfUp (or StringFixed,
// Cents) is asked to round.
//
// Decimals are immutable values: every operation returns a new one, so they
// may be copied and shared freely. The zero value is 0.
package money

import "math/big"

// Decimal is an exact decimal number.
type Decimal struct {
	coef  *big.Int // nil means 0; never mutated once a Decimal holds it
	scale int      // digits after the decimal point, >= 0
}

var bigZero = new(big.Int)

// pow10s caches small powers of ten; callers must not mutate them.
var pow10s = func() []*big.Int {
	p := make([]*big.Int, 40)
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
	}
	return p
}()

func pow10(n int) *big.Int {
	if n < len(pow10s) {
		return pow10s[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// FromInt returns the integer n.
func FromInt(n int64) Decimal {
	return Decimal{coef: big.NewInt(n)}
}

// FromCents returns cents/100, e.g. 1250 -> 12.50.
func FromCents(cents int64) Decimal {
	return Decimal{coef: big.NewInt(cents), scale: 2}
}

func (d Decimal) c() *big.Int {
	if d.coef == nil {
		return bigZero
	}
	return d.coef
}

// rescaled returns d's coefficient at scale s >= d.scale.
func (d Decimal) rescaled(s int) *big.Int {
	if s == d.scale {
		return d.c()
	}
	return new(big.Int).Mul(d.c(), pow10(s-d.scale))
}

// align returns both coefficients at the larger of the two scales.
func align(a, b Decimal) (x, y *big.Int, scale int) {
	scale = max(a.scale, b.scale)
	return a.rescaled(scale), b.rescaled(scale), scale
}

// Add returns d + e.
func (d Decimal) Add(e Decimal) Decimal {
	x, y, s := align(d, e)
	return Decimal{coef: new(big.Int).Add(x, y), scale: s}
}

// Sub returns d - e, which may be negative.
func (d Decimal) Sub(e Decimal) Decimal {
	x, y, s := align(d, e)
	return Decimal{coef: new(big.Int).Sub(x, y), scale: s}
}

// Mul returns d * e exactly; the scales add up.
func (d Decimal) Mul(e Decimal) Decimal {
	return Decimal{coef: new(big.Int).Mul(d.c(), e.c()), scale: d.scale + e.scale}
}

// Cmp returns -1, 0 or +1 as d is less than, equal to or greater than e.
// Scale does not matter: 1.50 equals 1.5.
func (d Decimal) Cmp(e Decimal) int {
	x, y, _ := align(d, e)
	return x.Cmp(y)
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.c().Sign() }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.Sign() == 0 }

// Max returns the larger of d and e (d when they are equal).
func (d Decimal) Max(e Decimal) Decimal {
	if e.Cmp(d) > 0 {
		return e
	}
	return d
}

// ClampZero returns d, or 0 when d is negative.
func (d Decimal) ClampZero() Decimal {
	if d.Sign() < 0 {
		return Decimal{}
	}
	return d
}

// Scale returns the number of digits held after the decimal point: 2 for a
// parsed "0.10", the sum of the scales for a product.
func (d Decimal) Scale() int { return d.scale }

// RoundHalfUp rounds d to places decimal places, ties away from zero
// (2.675 -> 2.68, -2.675 -> -2.68). A d with no more than places digits is
// returned as is. Places below 0 count as 0.
func (d Decimal) RoundHalfUp(places int) Decimal {
	places = max(places, 0)
	if d.scale <= places {
		return d
	}
	div := pow10(d.scale - places)
	q, r := new(big.Int).QuoRem(new(big.Int).Abs(d.c()), div, new(big.Int))
	if r.Lsh(r, 1).Cmp(div) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if d.Sign() < 0 {
		q.Neg(q)
	}
	return Decimal{coef: q, scale: places}
}
