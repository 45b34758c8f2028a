package vault

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// memIdempotency keeps one finished answer per scope+key.
type memIdempotency map[string]installations.IdempotentResponse

func (m memIdempotency) ClaimKey(_ context.Context, scope, key, hash string, _ time.Time, _ time.Duration) (installations.Claim, error) {
	if r, ok := m[scope+"/"+key]; ok {
		return installations.Claim{Done: true, Response: r}, nil
	}
	return installations.Claim{Owned: true}, nil
}

func (m memIdempotency) CompleteKey(_ context.Context, scope, key, _ string, r installations.IdempotentResponse) error {
	m[scope+"/"+key] = r
	return nil
}

func (m memIdempotency) KeepAnswer(ctx context.Context, _ installations.Tx, scope, key, owner string, r installations.IdempotentResponse) error {
	return m.CompleteKey(ctx, scope, key, owner, r)
}

func (m memIdempotency) ReleaseKey(_ context.Context, scope, key, _ string) error {
	delete(m, scope+"/"+key)
	return nil
}

func TestSealedIdempotencyNeverStoresPlainAnswers(t *testing.T) {
	t.Parallel()
	v, err := New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	mem := memIdempotency{}
	s := &SealedIdempotency{Store: mem, Vault: v}
	ctx := context.Background()
	body := `{"secrets":[{"name":"URL","value":"s3cr3t"}]}`
	if err := s.CompleteKey(ctx, "v1:icfg_1", "k", "owner", installations.IdempotentResponse{RequestHash: "h", Status: 200, Body: body}); err != nil {
		t.Fatal(err)
	}
	// An answer kept in the transaction of its effect is sealed alike.
	if err := s.KeepAnswer(ctx, nil, "v1:icfg_1", "in-tx", "owner", installations.IdempotentResponse{RequestHash: "h", Status: 200, Body: body}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"v1:icfg_1/k", "v1:icfg_1/in-tx"} {
		if stored := mem[k].Body; strings.Contains(stored, "s3cr3t") || !strings.HasPrefix(stored, "sealed:") {
			t.Fatalf("%s: stored %q", k, stored)
		}
	}
	if c, err := s.ClaimKey(ctx, "v1:icfg_1", "in-tx", "h", time.Now(), time.Minute); err != nil || c.Response.Body != body {
		t.Errorf("replay of the answer kept in the transaction: %+v %v", c, err)
	}
	c, err := s.ClaimKey(ctx, "v1:icfg_1", "k", "h", time.Now(), time.Minute)
	if err != nil || !c.Done || c.Response.Body != body || c.Response.Status != 200 {
		t.Fatalf("replay %+v %v", c, err)
	}
	// A sealed answer moved to another key does not open.
	mem["v1:icfg_2/k"] = mem["v1:icfg_1/k"]
	if _, err := s.ClaimKey(ctx, "v1:icfg_2", "k", "h", time.Now(), time.Minute); err == nil {
		t.Error("an answer sealed for one key opened under another")
	}
	// Answers kept before sealing replay as they are.
	mem["v1:icfg_1/old"] = installations.IdempotentResponse{Status: 204}
	if c, err := s.ClaimKey(ctx, "v1:icfg_1", "old", "", time.Now(), time.Minute); err != nil || c.Response.Status != 204 {
		t.Errorf("old answer %+v %v", c, err)
	}
}
