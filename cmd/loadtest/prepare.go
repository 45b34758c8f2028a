package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// tokensPerInstallation is the pool of user tokens minted per
// installation before timing, so signing is not measured.
const tokensPerInstallation = 2

const loadUser = "loaduser"

func installationID(i int) string { return fmt.Sprintf("icfg_load%06d", i) }

// hotInstallations bounds how many installations the scenarios address:
// each needs tokens signed before timing. They are spread evenly over all
// the installations stored, so a larger table is felt.
const hotInstallations = 1000

// install stores n installations. The ones under load go through the
// simulator, as Vercel installs them; the rest are written straight to the
// store, n at a time, with their tokens registered at the simulator.
func (sv *server) install(ctx context.Context, n, conns int) error {
	hot := min(n, hotInstallations)
	sv.ids, sv.access = make([]string, hot), make([]string, hot)
	slot := make(map[int]int, hot) // installation number -> its place among the hot ones
	for h := range hot {
		slot[h*n/hot] = h
	}
	return forEach(ctx, n, conns, func(i int) error {
		id := installationID(i)
		if h, ok := slot[i]; ok {
			tok, err := sv.sim.Install(ctx, sv.base(i), id)
			sv.ids[h], sv.access[h] = id, tok
			return err
		}
		tok := "vsim_" + rand.Text()
		sv.sim.RegisterInstallation(id, tok)
		_, err := sv.app.Installations.Upsert(ctx, installations.Upsert{ID: id, Scopes: []string{"read-write:integration-resource"},
			AcceptedPolicies: map[string]string{"toc": "2024-02-28T10:00:00Z"},
			Account:          installations.Account{Name: "Acme", URL: "https://vercel.com/acme", ContactEmail: "ada@acme.dev"},
			Credentials:      installations.Credentials{AccessToken: tok, TokenType: "Bearer"}})
		return err
	})
}

// mintFresh signs n tokens for the hot installations, each one distinct,
// so every request of the fresh-token scenario is verified in full.
func (sv *server) mintFresh(ctx context.Context, n, workers int) error {
	sv.fresh = make([]string, n)
	return forEach(ctx, n, workers, func(i int) error {
		c := sv.claims(sv.ids[i%len(sv.ids)])
		c["jti"] = fmt.Sprint("fresh-", i)
		sv.fresh[i] = sv.sim.Sign(c)
		return nil
	})
}

// mintTokens signs the ADMIN user tokens the partner-API scenarios send.
func (sv *server) mintTokens(ctx context.Context, workers int) error {
	sv.tokens = make([][]string, len(sv.ids))
	return forEach(ctx, len(sv.ids), workers, func(i int) error {
		for range tokensPerInstallation {
			sv.tokens[i] = append(sv.tokens[i], sv.sim.Sign(sv.claims(sv.ids[i])))
		}
		return nil
	})
}

// claims are an ADMIN user's access-token claims for installation id.
func (sv *server) claims(id string) map[string]any {
	now := time.Now()
	acct := vercelsim.AccountHex(id)
	return map[string]any{
		"iss": sv.sim.Issuer(), "aud": sv.sim.ClientID(), "sub": "account:" + acct + ":user:" + loadUser,
		"account_id": acct, "installation_id": id, "user_id": loadUser,
		"user_role": vercelapi.RoleAdmin, "type": "access_token", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
}

func upsertBody(accessToken string) []byte {
	return []byte(`{"scopes":["read-write:integration-resource"],"acceptedPolicies":{"toc":"2024-02-28T10:00:00Z"},
	"credentials":{"access_token":"` + accessToken + `","token_type":"Bearer"},
	"account":{"name":"Acme","url":"https://vercel.com/acme","contact":{"email":"ada@acme.dev","name":"Ada"}}}`)
}

// storeSessions inserts n live sessions spread over the installations.
func (sv *server) storeSessions(ctx context.Context, n int) error {
	now := time.Now()
	return forEach(ctx, n, 4, func(i int) error {
		sum := sha256.Sum256(fmt.Appendf(nil, "loadtest-session-%d", i))
		return sv.app.Sessions.CreateSession(ctx, hex.EncodeToString(sum[:]), installations.Session{
			InstallationID: sv.ids[i%len(sv.ids)], UserID: loadUser, Role: installations.RoleAdmin,
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
	})
}

// forEach calls fn for 0..n-1 on workers goroutines; the first error stops it.
func forEach(ctx context.Context, n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// do sends one request and drains the answer. A status outside want is an
// error; errors name the method and path only, never a token or code.
func do(ctx context.Context, c *http.Client, method, rawURL, token string, body []byte, want ...int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("%s %s: %w", method, req.URL.Path, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	for _, w := range want {
		if res.StatusCode == w {
			return nil
		}
	}
	return fmt.Errorf("%s %s: status %d", method, req.URL.Path, res.StatusCode)
}

// get sends a GET on connection w's replica.
func (sv *server) get(ctx context.Context, w int, path, token string) error {
	return do(ctx, sv.client, http.MethodGet, sv.base(w)+path, token, nil, http.StatusOK)
}
