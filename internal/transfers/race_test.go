package transfers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelsim"
)

// TestConcurrentAcceptsHaveOneWinner sends 20 accepts of one claim at
// once, half from the target and half from another installation: one
// installation gets the resources, its accepts all answer 204 and the
// other's 409, and the move happens once.
func TestConcurrentAcceptsHaveOneWinner(t *testing.T) {
	t.Parallel()
	eachStore(t, start, func(t *testing.T, e *env) {
		e.put(t, source, "db_1", "pro")
		e.put(t, source, "db_2", "credits")
		claim := e.claim(t, source, "db_1", "db_2")
		tokens := map[string]string{}
		e.real(func() {
			for _, id := range []string{target, other} {
				tokens[id] = e.Sim.UserToken(id, vercelsim.DefaultAdminUserID, "ADMIN")
			}
		})
		type outcome struct {
			by     string
			status int
		}
		results := make(chan outcome, 20)
		var wg sync.WaitGroup
		for i := range 20 {
			by := []string{target, other}[i%2]
			wg.Go(func() {
				resp, err := e.Sim.AcceptTransferRequest(context.Background(), e.URL, by, claim, vercelsim.WithBearer(tokens[by]))
				if err != nil {
					t.Error(err)
				}
				results <- outcome{by, resp.Status}
			})
		}
		wg.Wait()
		close(results)
		counts := map[outcome]int{}
		for r := range results {
			counts[r]++
		}
		winner := target
		if counts[outcome{other, http.StatusNoContent}] > 0 {
			winner = other
		}
		loser := map[string]string{target: other, other: target}[winner]
		want := map[outcome]int{{winner, http.StatusNoContent}: 10, {loser, http.StatusConflict}: 10}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Fatalf("outcomes %v, want %v", counts, want)
		}
		for _, rid := range []string{"db_1", "db_2"} {
			if _, err := e.App.Resources.GetResource(context.Background(), winner, rid); err != nil {
				t.Errorf("%s at the winner %s: %v", rid, winner, err)
			}
		}
		if list, _ := e.App.Resources.ListResources(context.Background(), loser); len(list) != 0 {
			t.Errorf("the loser holds %+v", list)
		}
		if evs := e.feed(t, installations.EventResourceTransferred); len(evs) != 1 || evs[0].InstallationID != winner {
			t.Errorf("feed %+v, want one transfer to %s", evs, winner)
		}
	})
}

// TestAnAcceptRacingADeleteIsWholeOrNothing deletes one of a claim's two
// resources while the claim is accepted: either the accept wins whole
// (both resources move; the delete finds nothing) or it fails whole
// (409; the other resource stays at the source).
func TestAnAcceptRacingADeleteIsWholeOrNothing(t *testing.T) {
	t.Parallel()
	eachStore(t, start, func(t *testing.T, e *env) {
		ctx := context.Background()
		seen := map[string]bool{}
		for round := range 8 {
			a, b := fmt.Sprintf("db_a%d", round), fmt.Sprintf("db_b%d", round)
			e.put(t, source, a, "pro")
			e.put(t, source, b, "pro")
			claim := e.claim(t, source, a, b)
			var accepted, deleted vercelsim.PartnerResponse
			e.real(func() {
				var wg sync.WaitGroup
				wg.Go(func() { accepted, _ = e.Sim.AcceptTransferRequest(ctx, e.URL, target, claim) })
				wg.Go(func() { deleted, _ = e.Sim.DeleteResource(ctx, e.URL, source, a) })
				wg.Wait()
			})
			_, errB := e.App.Resources.GetResource(ctx, target, b)
			_, errBSource := e.App.Resources.GetResource(ctx, source, b)
			switch {
			case accepted.Status == http.StatusNoContent && deleted.Status == http.StatusNotFound:
				seen["accept won"] = true
				if _, err := e.App.Resources.GetResource(ctx, target, a); err != nil || errB != nil {
					t.Errorf("round %d: the accept won but not both resources moved: %v %v", round, err, errB)
				}
			case accepted.Status == http.StatusConflict && deleted.Status == http.StatusNoContent:
				seen["delete won"] = true
				if errBSource != nil || errB == nil {
					t.Errorf("round %d: the accept failed but %s moved", round, b)
				}
			default:
				t.Errorf("round %d: accept %d %s, delete %d %s\n%s", round, accepted.Status, accepted.Body, deleted.Status, deleted.Body,
					failures(e.Logs.String()))
			}
		}
		t.Logf("outcomes seen: %v", seen)
	})
}

// failures are the log lines of failed requests, whose causes the
// answers do not show.
func failures(logs string) string {
	var out []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "request failed") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
