package vercelauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// BenchmarkVerify compares a full Verify, the token dropped from the cache
// each time, with the floor of one bare RSA signature check over the same
// token.
func BenchmarkVerify(b *testing.B) {
	k := testKeys()[0]
	e := newEnv(b, k)
	tok := signRS(b, k, e.claims())
	if _, err := e.v.Verify(b.Context(), tok); err != nil {
		b.Fatal(err)
	}
	key := tokenKey(sha256.Sum256([]byte(tok)))
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.v.tokens.drop(key)
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

// BenchmarkVerifyCached verifies one token again and again: every Verify
// after the first is a cache hit.
func BenchmarkVerifyCached(b *testing.B) {
	k := testKeys()[0]
	e := newEnv(b, k)
	tok := signRS(b, k, e.claims())
	if _, err := e.v.Verify(b.Context(), tok); err != nil {
		b.Fatal(err)
	}
	checks := e.v.rsaChecks.Load()
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.v.Verify(b.Context(), tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	if n := e.v.rsaChecks.Load() - checks; n != 0 {
		b.Errorf("%d RSA checks on cached verifications", n)
	}
}

// drop removes the entry of k, so the next Verify of its token misses.
func (c *tokenCache) drop(k tokenKey) {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cur, k)
	delete(s.prev, k)
}
