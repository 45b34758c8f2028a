package installations

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text that Vercel signs (webhook events, id_token claims) is kept even
// when a database could not store it as sent: PostgreSQL refuses NUL and
// invalid UTF-8 that SQLite keeps. Such text is replaced by U+FFFD, so
// both databases store the same thing and the event is not lost.

const replacement = "\uFFFD"

// StorableText returns s with NUL characters and invalid UTF-8 replaced.
func StorableText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, replacement), "\x00", replacement)
}

// StorableJSON returns a JSON document whose strings every database can
// store: invalid UTF-8 bytes, the escape \u0000 and escaped surrogates
// that do not form a pair become U+FFFD. data itself is returned when
// nothing needs replacing. A raw NUL byte is left alone: JSON allows none,
// so the document stays malformed and is refused as such.
func StorableJSON(data []byte) []byte {
	if utf8.Valid(data) && !bytes.Contains(data, []byte(`\u`)) {
		return data
	}
	clean := bytes.ToValidUTF8(data, []byte(replacement))
	out := make([]byte, 0, len(clean))
	for i := 0; i < len(clean); {
		if clean[i] != '\\' || i+1 == len(clean) {
			out = append(out, clean[i])
			i++
			continue
		}
		r, ok := escapedUnit(clean[i:])
		switch {
		case !ok: // \" \\ \n ... or a malformed escape the decoder refuses
			out = append(out, clean[i:i+2]...)
			i += 2
		case r == 0 || isLowSurrogate(r):
			out = append(out, `\ufffd`...)
			i += 6
		case isHighSurrogate(r):
			if low, ok := escapedUnit(clean[i+6:]); ok && isLowSurrogate(low) {
				out = append(out, clean[i:i+12]...)
				i += 12
				continue
			}
			out = append(out, `\ufffd`...)
			i += 6
		default:
			out = append(out, clean[i:i+6]...)
			i += 6
		}
	}
	if bytes.Equal(out, data) {
		return data
	}
	return out
}

// escapedUnit reads a \uXXXX escape at the start of b.
func escapedUnit(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

func isHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }
func isLowSurrogate(r rune) bool  { return r >= 0xDC00 && r <= 0xDFFF }
