// Package vault keeps secrets encrypted at rest: installation tokens,
// queued secret values and replayable answers that carry secrets. It
// seals with AES-256-GCM under the current key, bound to associated data
// (an installation id, a delivery id, an idempotency key), and keeps
// previous keys to open what they sealed.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// Vault encrypts with AES-256-GCM; the associated data (an installation
// id, for a token) binds a ciphertext to its row, so one moved to another
// row does not decrypt. It implements installations.Sealer.
// Each ciphertext is stored with the id of the key that sealed it, so old
// keys can keep opening old rows while new rows use the current key.
type Vault struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ErrUnknownKey means a row was sealed with a key the vault does not hold.
var ErrUnknownKey = errors.New("vault: ciphertext sealed with an unknown key")

// New takes the current 32-byte key and any previous keys.
func New(current []byte, previous ...[]byte) (*Vault, error) {
	v := &Vault{aeads: map[string]cipher.AEAD{}}
	for i, k := range append([][]byte{current}, previous...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("vault: key %d must be 32 bytes", i)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(k)
		if i == 0 {
			v.current = id
		}
		v.aeads[id] = aead
	}
	return v, nil
}

// KeyID names a key without revealing it.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// CurrentKeyID is the id new ciphertexts are sealed under.
func (v *Vault) CurrentKeyID() string { return v.current }

// Seal encrypts plaintext bound to id (the associated data); the result
// is base64 text.
func (v *Vault) Seal(id, plaintext string) (ciphertext, keyID string, err error) {
	aead := v.aeads[v.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), []byte(id))
	return base64.StdEncoding.EncodeToString(sealed), v.current, nil
}

// Open decrypts a ciphertext sealed for id under keyID.
func (v *Vault) Open(id, ciphertext, keyID string) (string, error) {
	aead, ok := v.aeads[keyID]
	if !ok {
		return "", ErrUnknownKey
	}
	raw, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("vault: malformed ciphertext")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", errors.New("vault: ciphertext does not authenticate")
	}
	return string(plain), nil
}
