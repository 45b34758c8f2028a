package vercelauth

import (
	"crypto"
	"crypto/rsa"
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

// parse decodes raw into t, refusing anything but RS256 without critical
// extensions. Header, payload and signature share one buffer.
func (t *token) parse(raw string) error {
	if len(raw) > maxTokenBytes {
		return errMalformed
	}
	h, rest, ok := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return errMalformed
	}
	// One buffer holds a copy of raw (to hash and decode from without
	// further conversions) and the decoded header, payload and signature.
	n := len(raw)
	buf := make([]byte, n+b64.DecodedLen(len(h))+b64.DecodedLen(len(p))+b64.DecodedLen(len(s)))
	copy(buf, raw)
	src, out := buf[:n], buf[n:]
	hn, err1 := b64.Decode(out, src[:len(h)])
	pn, err2 := b64.Decode(out[hn:], src[len(h)+1:len(h)+1+len(p)])
	sn, err3 := b64.Decode(out[hn+pn:], src[len(h)+1+len(p)+1:])
	if err1 != nil || err2 != nil || err3 != nil {
		return errMalformed
	}
	var hdr header
	if json.Unmarshal(out[:hn], &hdr) != nil {
		return errMalformed
	}
	if hdr.Alg != "RS256" || hdr.Crit != nil {
		return errAlgorithm
	}
	t.kid = hdr.Kid
	t.payload = out[hn : hn+pn]
	t.sig = out[hn+pn : hn+pn+sn]
	t.digest = sha256.Sum256(src[:len(h)+1+len(p)])
	return nil
}

// verifiedBy reports whether any of keys made the signature.
func (t *token) verifiedBy(keys []*rsa.PublicKey) bool {
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, t.digest[:], t.sig) == nil {
			return true
		}
	}
	return false
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
