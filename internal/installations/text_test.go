package installations

import (
	"testing"
)

func TestStorableJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is kept", `{"a":"b"}`, `{"a":"b"}`},
		{"ordinary escapes are kept", `{"a":"\u00e9\n\"\\"}`, `{"a":"\u00e9\n\"\\"}`},
		{"escaped NUL", `{"a":"x\u0000y"}`, `{"a":"x\ufffdy"}`},
		{"escaped backslash before u0000 is text", `{"a":"\\u0000"}`, `{"a":"\\u0000"}`},
		{"escaped backslash then escaped NUL", `{"a":"\\\u0000"}`, `{"a":"\\\ufffd"}`},
		{"invalid UTF-8", "{\"a\":\"\xff\xfeok\xc3\"}", "{\"a\":\"\uFFFDok\uFFFD\"}"},
		{"surrogate pair", `{"a":"\ud83d\ude00"}`, `{"a":"\ud83d\ude00"}`},
		{"upper-case surrogate pair", `{"a":"\uD83D\uDE00"}`, `{"a":"\uD83D\uDE00"}`},
		{"lone high surrogate at the end", `{"a":"\ud83d"}`, `{"a":"\ufffd"}`},
		{"high surrogate twice", `{"a":"\ud83d\ud83d\ude00"}`, `{"a":"\ufffd\ud83d\ude00"}`},
		{"lone low surrogate", `{"a":"\ude00x"}`, `{"a":"\ufffdx"}`},
		{"NUL in a key", `{"\u0000":1}`, `{"\ufffd":1}`},
		{"short escape is left to the decoder", `{"a":"\u00"}`, `{"a":"\u00"}`},
		{"raw NUL is left to the decoder", "{\"a\":\"\x00\"}", "{\"a\":\"\x00\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(StorableJSON([]byte(tt.in))); got != tt.want {
				t.Errorf("StorableJSON(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStorableText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ada Lovelace", "Ada Lovelace"},
		{"Ada\x00", "Ada\uFFFD"},
		{"caf\xe9", "caf\uFFFD"},
		{"\x00\xff", "\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		if got := StorableText(tt.in); got != tt.want {
			t.Errorf("StorableText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
