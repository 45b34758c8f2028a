package money

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		want  string // canonical String()
		scale int
		err   error
	}{
		{in: "12.50", want: "12.5", scale: 2},
		{in: "0", want: "0", scale: 0},
		{in: "0.000001", want: "0.000001", scale: 6},
		{in: "007.10", want: "7.1", scale: 2},
		{in: "1000000000000000", want: "1000000000000000", scale: 0},
		{in: "-1", err: ErrNegative},
		{in: "1e5", err: ErrSyntax},
		{in: "12,50", err: ErrSyntax},
		{in: "", err: ErrSyntax},
		{in: ".5", err: ErrSyntax},
		{in: "5.", err: ErrSyntax},
		{in: " 5", err: ErrSyntax},
		{in: "+5", err: ErrSyntax},
		{in: "1.2.3", err: ErrSyntax},
		{in: "$5", err: ErrSyntax},
		{in: strings.Repeat("9", 101), err: ErrRange},
		{in: "0." + strings.Repeat("1", 101), err: ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := Parse(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if err != nil {
				return
			}
			if d.String() != tt.want || d.Scale() != tt.scale {
				t.Errorf("Parse(%q) = %s (scale %d), want %s (scale %d)", tt.in, d, d.Scale(), tt.want, tt.scale)
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{in: "42.5", want: "42.5"},
		{in: "0", want: "0"},
		{in: "1e3", want: "1000"},
		{in: "1E+3", want: "1000"},
		{in: "2.5e-3", want: "0.0025"},
		{in: "1.25e1", want: "12.5"},
		{in: "1e15", want: "1000000000000000"},
		{in: "0.1e-99", want: "0." + strings.Repeat("0", 99) + "1"},
		{in: "-1", err: ErrNegative},
		{in: "-0", err: ErrNegative},
		{in: "01", err: ErrSyntax},
		{in: ".5", err: ErrSyntax},
		{in: "5.", err: ErrSyntax},
		{in: "1e", err: ErrSyntax},
		{in: "1e+-3", err: ErrSyntax},
		{in: "1e3.5", err: ErrSyntax},
		{in: "e3", err: ErrSyntax},
		{in: "", err: ErrSyntax},
		{in: "1e999999999", err: ErrRange},
		{in: "1e101", err: ErrRange},
		{in: "1e-101", err: ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseNumber(json.Number(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseNumber(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if err == nil && d.String() != tt.want {
				t.Errorf("ParseNumber(%q) = %s, want %s", tt.in, d, tt.want)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	m := MustParse
	tests := []struct {
		name string
		got  Decimal
		want string
	}{
		{"0.1+0.2 is exactly 0.3", m("0.1").Add(m("0.2")), "0.3"},
		{"ten dimes are one", sum("0.1", 10), "1"},
		{"sub may go negative", m("1.5").Sub(m("2.25")), "-0.75"},
		{"clamp negative to zero", m("1.5").Sub(m("2.25")).ClampZero(), "0"},
		{"clamp keeps positive", m("2.25").Sub(m("1.5")).ClampZero(), "0.75"},
		{"mul is exact", m("0.10").Mul(m("42.5")), "4.25"},
		{"huge times tiny", m("1000000000000000").Mul(m("0.000001")), "1000000000"},
		{"beyond int64", m("9223372036854775807").Add(m("1")), "9223372036854775808"},
		{"max", m("1.5").Max(m("1.49")), "1.5"},
		{"max other", m("1.49").Max(m("1.5")), "1.5"},
		{"zero value is zero", Decimal{}.Add(m("0")), "0"},
		{"from cents", FromCents(1250), "12.5"},
		{"from negative cents", FromCents(-5), "-0.05"},
		{"from int", FromInt(-7).Add(m("0.5")), "-6.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.String() != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

func sum(s string, n int) Decimal {
	var d Decimal
	for range n {
		d = d.Add(MustParse(s))
	}
	return d
}

func TestCmp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1.50", "1.5", 0},
		{"0.3", "0.30000", 0},
		{"2", "10", -1},
		{"10", "9.999999", 1},
		{"0", "0.000", 0},
	}
	for _, tt := range tests {
		if got := MustParse(tt.a).Cmp(MustParse(tt.b)); got != tt.want {
			t.Errorf("Cmp(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if !MustParse("0.000").IsZero() || MustParse("0.001").IsZero() || !(Decimal{}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestRoundHalfUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		neg    bool
		places int
		want   string // StringFixed(places)
	}{
		{in: "0.005", places: 2, want: "0.01"},
		{in: "0.004", places: 2, want: "0.00"},
		{in: "0.0049999", places: 2, want: "0.00"},
		{in: "2.675", places: 2, want: "2.68"}, // float64 gives 2.67
		{in: "1.005", places: 2, want: "1.01"}, // float64 gives 1.00
		{in: "2.675", neg: true, places: 2, want: "-2.68"},
		{in: "0.001", neg: true, places: 2, want: "0.00"}, // no negative zero
		{in: "12.5", places: 2, want: "12.50"},
		{in: "12", places: 2, want: "12.00"},
		{in: "0.5", places: 0, want: "1"},
		{in: "0.49", places: 0, want: "0"},
		{in: "9.995", places: 2, want: "10.00"},
		{in: "0.000001", places: 6, want: "0.000001"},
		{in: "1.25", places: -1, want: "1"},
		{in: "99999999999999999999.995", places: 2, want: "100000000000000000000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d := MustParse(tt.in)
			if tt.neg {
				d = Decimal{}.Sub(d)
			}
			if got := d.StringFixed(tt.places); got != tt.want {
				t.Errorf("%s.StringFixed(%d) = %s, want %s", d, tt.places, got, tt.want)
			}
		})
	}
}

func TestCents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Decimal
		want int64
		err  error
	}{
		{in: MustParse("12.50"), want: 1250},
		{in: MustParse("0.005"), want: 1},
		{in: MustParse("0.004"), want: 0},
		{in: MustParse("2.675"), want: 268},
		{in: Decimal{}.Sub(MustParse("1.005")), want: -101},
		{in: MustParse("92233720368547758.07"), want: 9223372036854775807},
		{in: MustParse("92233720368547758.08"), err: ErrCentsRange},
	}
	for _, tt := range tests {
		got, err := tt.in.Cents()
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("%s.Cents() = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, c := range []int64{0, 1, 99, 100, 123456789} {
		if got, _ := FromCents(c).Cents(); got != c {
			t.Errorf("FromCents(%d).Cents() = %d", c, got)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	type body struct {
		Quantity Decimal  `json:"quantity"`
		Plan     *Decimal `json:"plan,omitempty"`
	}
	in := body{Quantity: MustParse("1000000000000000.000001").Mul(MustParse("10"))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"quantity":10000000000000000.00001}`; string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	var out body
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Quantity.Cmp(in.Quantity) != 0 {
		t.Errorf("round trip = %s, want %s", out.Quantity, in.Quantity)
	}
	if MustParse("4.50").Number() != "4.5" {
		t.Errorf("Number = %s", MustParse("4.50").Number())
	}
	for _, bad := range []string{`{"quantity":-1}`, `{"quantity":"1"}`} {
		if err := json.Unmarshal([]byte(bad), &out); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
	if err := json.Unmarshal([]byte(`{"quantity":null}`), &out); err != nil || out.Quantity.Cmp(in.Quantity) != 0 {
		t.Errorf("null changed the value or failed: %v", err)
	}
}
