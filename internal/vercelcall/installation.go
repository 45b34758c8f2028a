package vercelcall

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/vercelapi"
)

// Installation is the calls one can make to Vercel for one installation,
// each with the installation's token. Errors are Vercel's answers
// untranslated: Classify says what they mean, Error turns them into the
// caller's error. Adding a call is one method here.
type Installation struct {
	c  *Caller
	id string
}

// ID is the installation the calls are for.
func (v Installation) ID() string { return v.id }

// GetAccountInfo is getAccountInfo.
func (v Installation) GetAccountInfo(ctx context.Context) (*vercelapi.AccountInfo, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.AccountInfo, error) {
		return c.GetAccountInfo(ctx, token, v.id)
	})
}

// GetMember is getMember.
func (v Installation) GetMember(ctx context.Context, memberID string) (*vercelapi.Member, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.Member, error) {
		return c.GetMember(ctx, token, v.id, memberID)
	})
}

// GetInvoice is getInvoice.
func (v Installation) GetInvoice(ctx context.Context, invoiceID string) (*vercelapi.Invoice, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.Invoice, error) {
		return c.GetInvoice(ctx, token, v.id, invoiceID)
	})
}

// CreateEvent is createEvent.
func (v Installation) CreateEvent(ctx context.Context, ev *vercelapi.Event) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.CreateEvent(ctx, token, v.id, ev)
	}))
	return err
}

// UpdateResourceSecrets is updateResourceSecretsById.
func (v Installation) UpdateResourceSecrets(ctx context.Context, resourceID string, s *vercelapi.SecretsUpdate) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.UpdateResourceSecrets(ctx, token, v.id, resourceID, s)
	}))
	return err
}

// SubmitBillingData is submitBillingData.
func (v Installation) SubmitBillingData(ctx context.Context, b *vercelapi.BillingData) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.SubmitBillingData(ctx, token, v.id, b)
	}))
	return err
}

// SubmitInvoice is submitInvoice.
func (v Installation) SubmitInvoice(ctx context.Context, inv *vercelapi.InvoiceRequest) (*vercelapi.SubmitInvoiceResult, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.SubmitInvoiceResult, error) {
		return c.SubmitInvoice(ctx, token, v.id, inv)
	})
}

// UpdateInvoice is updateInvoice (a refund).
func (v Installation) UpdateInvoice(ctx context.Context, invoiceID string, a *vercelapi.InvoiceAction) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.UpdateInvoice(ctx, token, v.id, invoiceID, a)
	}))
	return err
}

// SubmitPrepaymentBalances is submitPrepaymentBalances.
func (v Installation) SubmitPrepaymentBalances(ctx context.Context, p *vercelapi.PrepaymentBalances) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.SubmitPrepaymentBalances(ctx, token, v.id, p)
	}))
	return err
}

// FinalizeInstallation is finalizeInstallation.
func (v Installation) FinalizeInstallation(ctx context.Context) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.FinalizeInstallation(ctx, token, v.id)
	}))
	return err
}

// UpdateInstallation is updateInstallation.
func (v Installation) UpdateInstallation(ctx context.Context, u *vercelapi.InstallationUpdate) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.UpdateInstallation(ctx, token, v.id, u)
	}))
	return err
}

// UpdateResource is updateResource.
func (v Installation) UpdateResource(ctx context.Context, resourceID string, r *vercelapi.UpdateResourceRequest) (*vercelapi.ResourceWriteResult, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.ResourceWriteResult, error) {
		return c.UpdateResource(ctx, token, v.id, resourceID, r)
	})
}

// RotateCredential is rotateInstallationCredential with the current
// token. It is made once, never retried: a repeat would issue another
// token.
func (v Installation) RotateCredential(ctx context.Context, r *vercelapi.CredentialRotation) (*vercelapi.NewCredential, error) {
	once := v.c.WithRetry(vercelapi.RetryPolicy{MaxAttempts: 1})
	return call(ctx, Installation{c: once, id: v.id}, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.NewCredential, error) {
		return c.RotateInstallationCredential(ctx, token, v.id, r)
	})
}

// RevokeCredential is revokeInstallationCredential of r.Token, with the
// token in use as the bearer.
func (v Installation) RevokeCredential(ctx context.Context, r *vercelapi.CredentialRevocation) (*vercelapi.Revocation, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.Revocation, error) {
		return c.RevokeInstallationCredential(ctx, token, v.id, r)
	})
}

// ImportResource is importResource.
func (v Installation) ImportResource(ctx context.Context, resourceID string, req *vercelapi.ImportResourceRequest) (*vercelapi.ResourceWriteResult, error) {
	return call(ctx, v, func(ctx context.Context, c *vercelapi.Client, token string) (*vercelapi.ResourceWriteResult, error) {
		return c.ImportResource(ctx, token, v.id, resourceID, req)
	})
}

// DeleteIntegrationResource is deleteIntegrationResource.
func (v Installation) DeleteIntegrationResource(ctx context.Context, resourceID string) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.DeleteIntegrationResource(ctx, token, v.id, resourceID)
	}))
	return err
}

// UpdateDeploymentAction is updateIntegrationDeploymentAction.
func (v Installation) UpdateDeploymentAction(ctx context.Context, deploymentID, resourceID, action string, u *vercelapi.DeploymentActionUpdate) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.UpdateDeploymentAction(ctx, token, v.id, deploymentID, resourceID, action, u)
	}))
	return err
}

// UpdateCheckRun is the check-run update, with the installation's token.
func (v Installation) UpdateCheckRun(ctx context.Context, deploymentID, checkRunID string, u *vercelapi.CheckRunUpdate) error {
	_, err := call(ctx, v, none(func(ctx context.Context, c *vercelapi.Client, token string) error {
		return c.UpdateCheckRun(ctx, token, deploymentID, checkRunID, u)
	}))
	return err
}
