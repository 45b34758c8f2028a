package deployments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Bounds on what the partner's service reports.
const (
	maxStatusText  = 1000     // characters of statusText
	maxSecretValue = 64 << 10 // bytes of one outcome secret's value
	maxSecrets     = 100      // outcome secrets of one status
	maxOutput      = 16 << 10 // bytes of a check run's output, encoded
)

// answer is the hook's answer to a start: {"async": true}, or the status
// (Vercel's body for the action or check run).
type answer struct {
	async  bool
	action *vercelapi.DeploymentActionUpdate
	check  *vercelapi.CheckRunUpdate
}

var errNotAnswer = errors.New("the hook's answer is not a status or {\"async\": true}")

// decodeAnswer reads the hook's answer about job j as strictly as the
// internal API reads the same body. Its errors never quote the answer:
// it may hold secrets.
func (s *Service) decodeAnswer(ctx context.Context, j installations.DeploymentJob, raw []byte) (answer, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) == nil {
		if v, ok := probe["async"]; ok {
			if len(probe) != 1 || string(bytes.TrimSpace(v)) != "true" {
				return answer{}, errNotAnswer
			}
			return answer{async: true}, nil
		}
	}
	var a answer
	var err error
	if j.Kind == installations.JobCheckRun {
		a.check = new(vercelapi.CheckRunUpdate)
		if err = vercelapi.DecodeStrict(raw, a.check); err == nil {
			err = checkCheckRun(a.check)
		}
	} else {
		a.action = new(vercelapi.DeploymentActionUpdate)
		if err = vercelapi.DecodeStrict(raw, a.action); err == nil {
			err = s.checkAction(ctx, j, a.action)
		}
	}
	if err != nil {
		return answer{}, fmt.Errorf("the hook's answer is not valid: %s", fieldKeys(err))
	}
	return a, nil
}

// fieldKeys names the keys of a validation error, never their values.
func fieldKeys(err error) string {
	var keys []string
	if ve, ok := errors.AsType[*vercelapi.ValidationError](err); ok {
		for _, f := range ve.Fields {
			keys = append(keys, f.Key+" "+f.Message)
		}
	}
	if ae, ok := errors.AsType[*apperr.Error](err); ok {
		for _, f := range ae.Fields {
			keys = append(keys, f.Key+" "+f.Message)
		}
	}
	if len(keys) == 0 {
		return "not the expected JSON object"
	}
	return strings.Join(keys, "; ")
}

// checkAction applies our rules on top of Vercel's schema: bounded text,
// and outcome secrets named as the resource's product names them.
func (s *Service) checkAction(ctx context.Context, j installations.DeploymentJob, u *vercelapi.DeploymentActionUpdate) error {
	var fields []apperr.Field
	if utf8.RuneCountInString(u.StatusText) > maxStatusText {
		fields = append(fields, apperr.Field{Key: "statusText", Message: fmt.Sprintf("must be at most %d characters", maxStatusText)})
	}
	names := s.secretNames(ctx, j)
	count := 0
	for i, o := range u.Outcomes {
		for k, sec := range o.Secrets {
			at := fmt.Sprintf("outcomes[%d].secrets[%d]", i, k)
			if count++; count == maxSecrets+1 {
				fields = append(fields, apperr.Field{Key: at, Message: fmt.Sprintf("at most %d secrets", maxSecrets)})
			}
			if len(names) > 0 && !slices.Contains(names, sec.Name) {
				fields = append(fields, apperr.Field{Key: at + ".name", Message: "must be one of the product's secrets: " + strings.Join(names, ", ")})
			}
			if len(sec.Value) > maxSecretValue || strings.ContainsRune(sec.Value, 0) {
				fields = append(fields, apperr.Field{Key: at + ".value", Message: "must be text without NUL, at most 64 KB"})
			}
		}
	}
	if len(fields) > 0 {
		return apperr.InvalidFields("invalid deployment action status", fields...)
	}
	return nil
}

// secretNames are the names the job's resource's product allows; none
// when the product names none (or is gone).
func (s *Service) secretNames(ctx context.Context, j installations.DeploymentJob) []string {
	if s.Resources == nil || j.ResourceID == "" {
		return nil
	}
	res, err := s.Resources.GetResource(ctx, j.InstallationID, j.ResourceID)
	if err != nil {
		return nil
	}
	p, _ := s.Catalog.Product(res.ProductID)
	return p.SecretNames
}

// checkCheckRun applies our rules on top of Vercel's schema: the partner
// reports running or completed (with a conclusion), and a bounded output.
func checkCheckRun(u *vercelapi.CheckRunUpdate) error {
	var fields []apperr.Field
	if u.Status == vercelapi.CheckRunQueued {
		fields = append(fields, apperr.Field{Key: "status", Message: "must be running or completed"})
	}
	if u.Conclusion != "" && u.Status != vercelapi.CheckRunCompleted {
		fields = append(fields, apperr.Field{Key: "conclusion", Message: "only with status completed"})
	}
	if out, _ := json.Marshal(u.Output); len(out) > maxOutput || bytes.Contains(out, []byte(`\u0000`)) {
		fields = append(fields, apperr.Field{Key: "output", Message: "must be an object without NUL, at most 16 KB encoded"})
	}
	if len(fields) > 0 {
		return apperr.InvalidFields("invalid check run status", fields...)
	}
	return nil
}

// secretNamesOf lists the outcome secrets' names (the job keeps them,
// never the values).
func secretNamesOf(u *vercelapi.DeploymentActionUpdate) []string {
	names := []string{}
	for _, o := range u.Outcomes {
		for _, sec := range o.Secrets {
			if !slices.Contains(names, sec.Name) {
				names = append(names, sec.Name)
			}
		}
	}
	return names
}
