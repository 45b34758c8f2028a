package vercelauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// maxTokenBytes bounds the work a single header can cause; Vercel's tokens
// are around a kilobyte.
const maxTokenBytes = 16 << 10

var b64 = base64.RawURLEncoding.Strict()

// token is a compact JWS split and decoded once.
type token struct {
	header  string // the raw header segment
	kid     string
	digest  [sha256.Size]byte
	payload []byte
	sig     []byte
}

type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

// knownHeader is a header segment that verified before, with its kid.
// Vercel reuses one header per key, so most tokens skip decoding it.
type knownHeader struct {
	segment string
	kid     string
}

// parse decodes raw into t, refusing anything but RS256 without critical
// extensions. Payload and signature share one buffer with a copy of raw.
func (t *token) parse(raw string, known *knownHeader) error {
	if len(raw) > maxTokenBytes {
		return errMalformed
	}
	h, rest, ok := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return errMalformed
	}
	// The copy of raw lets us hash and decode without further conversions.
	n := len(raw)
	buf := make([]byte, n+b64.DecodedLen(len(p))+b64.DecodedLen(len(s)))
	copy(buf, raw)
	src, out := buf[:n], buf[n:]
	pn, err1 := b64.Decode(out, src[len(h)+1:len(h)+1+len(p)])
	sn, err2 := b64.Decode(out[pn:], src[len(h)+1+len(p)+1:])
	if err1 != nil || err2 != nil {
		return errMalformed
	}
	t.header, t.payload, t.sig = h, out[:pn], out[pn:pn+sn]
	t.digest = sha256.Sum256(src[:len(h)+1+len(p)])
	if known != nil && known.segment == h {
		t.kid = known.kid
		return nil
	}
	return t.parseHeader()
}

func (t *token) parseHeader() error {
	raw, err := b64.DecodeString(t.header)
	if err != nil {
		return errMalformed
	}
	var hdr header
	if json.Unmarshal(raw, &hdr) != nil {
		return errMalformed
	}
	if hdr.Alg != "RS256" || hdr.Crit != nil {
		return errAlgorithm
	}
	t.kid = hdr.Kid
	return nil
}

// payload is everything read from a verified token in one decode.
type payload struct {
	Claims
	Audience  audience    `json:"aud"`
	ExpiresAt numericDate `json:"exp"`
	NotBefore numericDate `json:"nbf"`
	IssuedAt  numericDate `json:"iat"`
}

// audience is the aud claim, a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

func (a audience) contains(id string) bool {
	for _, s := range a {
		if s == id && id != "" {
			return true
		}
	}
	return false
}

var errNotNumeric = errors.New("date claim is not a JSON number")

// numericDate is a date claim in seconds since the epoch. Only a JSON
// number is accepted: a string or null date is refused, not ignored.
type numericDate struct {
	unix int64
	set  bool
}

// maxUnix keeps float dates well inside int64 and time.Time.
const maxUnix = 1 << 40

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errNotNumeric
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || math.Abs(f) > maxUnix {
			return errNotNumeric
		}
		n = int64(math.Floor(f))
	}
	d.unix, d.set = n, true
	return nil
}
