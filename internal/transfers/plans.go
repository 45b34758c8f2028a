package transfers

import (
	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// plansUnder returns, per resource, the plan it will have under the
// target: its own plan when the target may see it (a private offer may
// be made to other installations only), else the product's first plan
// the target may choose. A resource without a plan keeps none.
func (s *Service) plansUnder(res []installations.Resource, targetID string) ([]string, error) {
	out := make([]string, len(res))
	for i, r := range res {
		if r.BillingPlanID == "" {
			continue
		}
		if pl, ok := s.Catalog.Plan(r.BillingPlanID); ok && pl.VisibleTo(targetID) {
			out[i] = r.BillingPlanID
			continue
		}
		plans, _ := s.Catalog.PlansFor(r.ProductID, targetID)
		for _, pl := range plans {
			if !pl.Disabled {
				out[i] = pl.ID
				break
			}
		}
		if out[i] == "" {
			return nil, apperr.New(apperr.Unprocessable, "no_plan_for_target",
				"no plan of product "+r.ProductID+" is offered to the target installation")
		}
	}
	return out, nil
}

// commonPlan is the catalog plan every resource will be on, nil when they
// differ or have none.
func (s *Service) commonPlan(plans []string) *installations.BillingPlan {
	if len(plans) == 0 || plans[0] == "" {
		return nil
	}
	for _, p := range plans[1:] {
		if p != plans[0] {
			return nil
		}
	}
	pl, ok := s.Catalog.Plan(plans[0])
	if !ok {
		return nil
	}
	return &pl
}
