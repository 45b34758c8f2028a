package installations

import (
	"errors"
	"testing"
	"time"
)

func TestTransferredAndLinkedResourcesPayTheirShareOnce(t *testing.T) {
	t.Parallel()
	c := Catalog{{ID: "db", Plans: []BillingPlan{{ID: "pro", Type: "subscription", Name: "Pro", Price: "20.00",
		Meters: []Meter{{Name: "storage", Units: "GB", Type: "total", Price: "0.10"}}}}}}
	march, april := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	jan, mid := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	arrived := Resource{ID: "r_in", BillingPlanID: "pro", CreatedAt: jan, ArrivedAt: &mid}
	left := DeletedResource{Resource: Resource{ID: "r_out", BillingPlanID: "pro", CreatedAt: jan}, DeletedAt: mid}
	linked := Resource{ID: "r_linked", BillingPlanID: "pro", CreatedAt: jan, Ownership: OwnershipLinked}
	cases := []struct {
		name       string
		start, end time.Time
		want       map[string]bool // resource id: billed a flat fee
	}{
		{"the period of the transfer: usage at both ends, the fee at the source", march, april,
			map[string]bool{"r_in": false, "r_out": true}},
		{"a period before the transfer: only where it was", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), march,
			map[string]bool{"r_out": true}},
		{"the period after: the fee at the target", april, april.AddDate(0, 1, 0),
			map[string]bool{"r_in": true}},
	}
	for _, tc := range cases {
		got, err := c.Subjects(Installation{}, BilledIn([]Resource{arrived, linked}, []DeletedResource{left}, tc.start, tc.end))
		if err != nil {
			t.Fatal(err)
		}
		fees := map[string]bool{}
		for _, s := range got {
			fees[s.ResourceID] = s.Plan.Price != nil
		}
		if len(fees) != len(tc.want) {
			t.Errorf("%s: subjects %v, want %v (never the linked one)", tc.name, fees, tc.want)
		}
		for id, fee := range tc.want {
			if f, ok := fees[id]; !ok || f != fee {
				t.Errorf("%s: %s billed %v (fee %v), want fee %v", tc.name, id, ok, f, fee)
			}
		}
	}
	if !c.NothingBillable(Installation{}, Unbilled{Live: []Resource{linked}}) {
		t.Error("a linked resource on a paid plan holds an uninstall's finalization back")
	}
}

func TestAClaimTakesItsTargetOnceAndNeverAfterItExpires(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	open := TransferClaim{SourceID: "icfg_s", ExpiresAt: now.Add(time.Hour)}
	accepted := open
	accepted.TargetID, accepted.AcceptedAt = "icfg_t", &now
	cases := []struct {
		name   string
		c      TransferClaim
		target string
		at     time.Time
		repeat bool
		err    error
	}{
		{"an open claim", open, "icfg_t", now, false, nil},
		{"at its expiry", open, "icfg_t", open.ExpiresAt, false, ErrClaimExpired},
		{"to its own source", open, "icfg_s", now, false, ErrClaimToSource},
		{"a repeat by the target, even after expiry", accepted, "icfg_t", now.Add(2 * time.Hour), true, nil},
		{"another target after the accept", accepted, "icfg_x", now, false, ErrClaimAccepted},
	}
	for _, tc := range cases {
		repeat, err := tc.c.Takes(tc.target, tc.at)
		if repeat != tc.repeat || !errors.Is(err, tc.err) {
			t.Errorf("%s: repeat %v, %v; want %v, %v", tc.name, repeat, err, tc.repeat, tc.err)
		}
	}
}
