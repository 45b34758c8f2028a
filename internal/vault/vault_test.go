package vault

import (
	"bytes"
	"errors"
	"testing"
)

func TestVaultRotationAndBinding(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	before, _ := New(oldKey)
	ct, keyID, err := before.Seal("icfg_a", "vercel-token")
	if err != nil || keyID != KeyID(oldKey) {
		t.Fatalf("seal: %q %v", keyID, err)
	}
	rotated, _ := New(newKey, oldKey)
	if got, err := rotated.Open("icfg_a", ct, keyID); err != nil || got != "vercel-token" {
		t.Errorf("a previous key no longer opens its rows: %q %v", got, err)
	}
	if _, newID, _ := rotated.Seal("icfg_a", "x"); newID != KeyID(newKey) {
		t.Errorf("new rows sealed under %s, want the current key", newID)
	}
	if _, err := rotated.Open("icfg_b", ct, keyID); err == nil {
		t.Error("a ciphertext moved to another installation opened")
	}
	dropped, _ := New(newKey)
	if _, err := dropped.Open("icfg_a", ct, keyID); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("without the old key: %v, want ErrUnknownKey", err)
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}
