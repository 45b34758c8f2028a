// Package credentials rotates installations' Vercel access tokens:
// rotateInstallationCredential with the token in use, the new token
// stored sealed and used from then on, then revokeInstallationCredential
// for the old one. Each step is recorded before the next begins
// (installations.CredentialStore), so a crash at any point resumes on the
// next run, and an installation is never left without a working token.
package credentials

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelapi"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// Deps are the service's collaborators.
type Deps struct {
	Store         installations.CredentialStore
	Installations installations.Store
	Vercel        *vercelcall.Caller
	// ClientID and ClientSecret identify the integration to Vercel's
	// rotate and revoke calls.
	ClientID, ClientSecret string
	// Grace is how long after the new token is in use the old one is
	// revoked: longer than any call to Vercel may last, so no call that
	// read the old token is still on its way when it dies.
	Grace time.Duration
	// Lease bounds how long a started rotation keeps others out; a
	// rotation whose process died is taken over after it. Default 1m.
	Lease time.Duration
	Log   *slog.Logger     // optional
	Now   func() time.Time // optional
}

// Service rotates installation tokens.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Lease <= 0 {
		d.Lease = time.Minute
	}
	return &Service{Deps: d}
}

// Result is what a rotation came to: the new token is in use since
// RotatedAt; Revoked tells whether the old one is revoked yet (if not,
// a later run revokes it).
type Result struct {
	InstallationID string    `json:"installationId"`
	RotatedAt      time.Time `json:"rotatedAt"`
	Revoked        bool      `json:"revoked"`
}

// Rotate replaces the installation's token. A rotation of it already
// running (or still revoking its old token) is a Conflict; Vercel's
// refusal of the rotation changes nothing here and says why. It waits
// Grace (within ctx) before revoking the old token.
func (s *Service) Rotate(ctx context.Context, installationID string) (Result, error) {
	if err := installations.CheckID("installationId", installationID); err != nil {
		return Result{}, err
	}
	owner := "rot_" + rand.Text()
	now := s.Now()
	if _, err := s.Store.BeginRotation(ctx, installationID, owner, now, now.Add(s.Lease)); err != nil {
		return Result{}, err
	}
	rot, err := s.rotate(ctx, installationID, owner)
	if err != nil {
		return Result{}, err
	}
	return s.finish(ctx, rot)
}

// rotate asks Vercel for a new token and puts it in use.
func (s *Service) rotate(ctx context.Context, id, owner string) (installations.Rotation, error) {
	// The step runs to its end once begun: a new token Vercel issued must
	// be stored, even if our caller hangs up.
	ctx = context.WithoutCancel(ctx)
	v := s.Vercel.For(id)
	cred, err := v.RotateCredential(ctx, &vercelapi.CredentialRotation{ClientSecret: s.ClientSecret, ClientID: s.ClientID})
	if err == nil && !usable(cred.AccessToken) {
		err = apperr.New(apperr.Upstream, "vercel_error", "Vercel answered the rotation without a usable token")
	}
	if err != nil {
		s.abandon(ctx, id, owner, err)
		return installations.Rotation{}, refused(err)
	}
	rot, err := s.Store.StoreRotatedToken(ctx, id, owner, cred.AccessToken, s.Now())
	if apperr.KindOf(err) == apperr.Conflict {
		// Refused (another run took over, or a re-install replaced the
		// token): nobody will use the token Vercel just issued; retire it.
		if _, rerr := v.RevokeCredential(ctx, s.revocation(cred.AccessToken)); rerr != nil {
			s.Log.WarnContext(ctx, "could not revoke a token issued by a rotation that could not be kept",
				"installation_id", id, "err", vercelcall.Error(rerr))
		}
	}
	if err != nil {
		// Any other failure may hide a commit: the new token may be in use,
		// so it is left alone; a started rotation is dropped, a rotated one
		// goes on at the next run.
		s.abandon(ctx, id, owner, err)
		return installations.Rotation{}, err
	}
	s.Log.InfoContext(ctx, "installation token rotated; the old one is revoked next", "installation_id", id)
	return rot, nil
}

// abandon ends a started rotation that changed nothing.
func (s *Service) abandon(ctx context.Context, id, owner string, cause error) {
	if err := s.Store.AbandonRotation(ctx, id, owner, cause.Error()); err != nil {
		s.Log.ErrorContext(ctx, "could not drop a failed rotation; it will be taken over once its lease ends",
			"installation_id", id, "err", err)
	}
}

// refused is the caller's error for Vercel's answer to a rotation,
// saying why nothing changed.
func refused(err error) error {
	e := vercelcall.Error(err)
	ae, ok := errors.AsType[*apperr.Error](e)
	if !ok {
		return e
	}
	out := *ae
	switch vercelcall.Classify(err).Status {
	case 401, 403:
		out.Message = "Vercel refused the installation's current token, so it issued no new one; nothing changed"
	case 409:
		out.Message = "Vercel refused the rotation (409: a rotation is already under way at Vercel); nothing changed"
	default:
		out.Message += "; nothing changed"
	}
	return &out
}

// usable is a token we can store and send: not empty, bounded, printable.
func usable(token string) bool {
	return token != "" && len(token) <= installations.MaxAccessToken &&
		!strings.ContainsFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func (s *Service) revocation(token string) *vercelapi.CredentialRevocation {
	return &vercelapi.CredentialRevocation{Token: token, ClientSecret: s.ClientSecret, ClientID: s.ClientID}
}
