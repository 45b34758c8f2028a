package vercelauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// BenchmarkVerify compares a full Verify with the floor of one bare RSA
// signature check over the same token.
func BenchmarkVerify(b *testing.B) {
	k := testKeys()[0]
	e := newEnv(b, k)
	tok := signRS(b, k, e.claims())
	if _, err := e.v.Verify(b.Context(), tok); err != nil {
		b.Fatal(err)
	}
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rsa.VerifyPKCS1v15", func(b *testing.B) {
		dot := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		if err != nil {
			b.Fatal(err)
		}
		signed := []byte(tok[:dot])
		b.ReportAllocs()
		for b.Loop() {
			digest := sha256.Sum256(signed)
			if err := rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}
