package resources

import (
	"context"
	"encoding/json"

	"github.com/vercel-partner/partner-server/internal/deliveries"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/provisioning"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Rotate is Vercel's request for new secrets of a resource of a live
// installation: the hook answers them at once, or a
// resource.secrets_rotation_requested event on the feed asks the
// partner's service, which sends them through the internal API. hours is
// how long the old secrets stay valid, if given. The answer is kept with
// the feed's event (key.Keep), or once the hook answered.
func (s *Service) Rotate(ctx context.Context, key installations.KeyClaim, installationID, resourceID, reason string, hours *json.Number) (Rotation, error) {
	res, err := s.liveResource(ctx, installationID, resourceID)
	if err != nil {
		return Rotation{}, err
	}
	return s.mode.rotate(ctx, key, res, reason, hours)
}

// RenewSecrets asks for new secrets of res the way Vercel's rotation
// does, for the partner's side (the dashboard): the hook's new values go
// to Vercel through the delivery queue; in feed mode the partner's
// service is asked and sends them itself. Nothing here makes values up.
func (s *Service) RenewSecrets(ctx context.Context, res installations.Resource, reason string) (Rotation, deliveries.Delivery, error) {
	rot, err := s.mode.rotate(ctx, installations.KeyClaim{}, res, reason, nil)
	if err != nil || !rot.Sync {
		return rot, deliveries.Delivery{}, err
	}
	d, err := s.Queue.Enqueue(ctx, deliveries.UpdateSecrets(res.InstallationID, res.ID, secretsUpdate(rot.Secrets)))
	return rot, d, err
}

// secretsUpdate is a partial updateResourceSecretsById with the hook's
// values.
func secretsUpdate(secrets []provisioning.Secret) *vercelapi.SecretsUpdate {
	req := &vercelapi.SecretsUpdate{Secrets: make([]vercelapi.Secret, len(secrets)), Partial: true}
	for i, sec := range secrets {
		req.Secrets[i] = vercelapi.Secret{Name: sec.Name, Value: sec.Value}
		if eo := sec.EnvironmentOverrides; len(eo) > 0 {
			req.Secrets[i].EnvironmentOverrides = &vercelapi.EnvironmentOverrides{
				Development: eo["development"], Preview: eo["preview"], Production: eo["production"]}
		}
	}
	return req
}
