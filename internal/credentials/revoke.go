package credentials

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
	"github.com/vercel-partner/partner-server/internal/vercelcall"
)

// finish revokes the old token of a rotated rotation once its grace is
// over. If ctx ends first, or Vercel cannot be reached, the old token
// waits for a later run (Resume): Result.Revoked is false.
func (s *Service) finish(ctx context.Context, rot installations.Rotation) (Result, error) {
	res := Result{InstallationID: rot.InstallationID, RotatedAt: *rot.RotatedAt}
	wait := rot.RotatedAt.Add(s.Grace).Sub(s.Now())
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return res, nil
		}
	}
	revoked, err := s.revokeOld(context.WithoutCancel(ctx), rot.InstallationID)
	res.Revoked = revoked
	return res, err
}

// revokeOld retires the superseded token with the one in use as the
// bearer. Vercel unreachable, or refusing our bearer, leaves it for a
// later run; a refusal of the revocation itself ends the rotation
// without it (logged).
func (s *Service) revokeOld(ctx context.Context, id string) (bool, error) {
	old, err := s.Store.OldToken(ctx, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return true, nil // another run finished it
	}
	if err != nil {
		return false, err
	}
	ans, err := s.Vercel.For(id).RevokeCredential(ctx, s.revocation(old))
	if err != nil {
		class := vercelcall.Classify(err)
		reason := vercelcall.Error(err).Error()
		if class.Retryable || class.TokenRejected {
			s.Log.WarnContext(ctx, "could not revoke the old installation token yet; will try again",
				"installation_id", id, "err", reason)
			return false, s.Store.NoteRevokeFailure(ctx, id, reason)
		}
		s.Log.ErrorContext(ctx, "Vercel refused to revoke the old installation token; it is forgotten here",
			"installation_id", id, "err", reason)
		_, ferr := s.Store.FinishRotation(ctx, id, false, s.Now())
		return false, ferr
	}
	revoked := ans.Revoked || ans.AlreadyRevoked
	done, err := s.Store.FinishRotation(ctx, id, revoked, s.Now())
	if done {
		s.Log.InfoContext(ctx, "old installation token revoked", "installation_id", id, "revoked", revoked)
	}
	return revoked, err
}

// Resume carries every rotation in progress as far as it goes: a
// rotated one has its old token revoked (after its grace), a started
// one whose process died (its lease is over) is rotated again with the
// token in use, which Vercel still accepts. It returns what it finished.
func (s *Service) Resume(ctx context.Context) ([]Result, error) {
	list, err := s.Store.Rotations(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, rot := range list {
		r, err := s.resume(ctx, rot)
		if err != nil {
			s.Log.WarnContext(ctx, "could not resume a token rotation", "installation_id", rot.InstallationID, "err", err)
			continue
		}
		if r.InstallationID != "" {
			out = append(out, r)
		}
	}
	return out, ctx.Err()
}

func (s *Service) resume(ctx context.Context, rot installations.Rotation) (Result, error) {
	if rot.State == installations.RotationRotated {
		return s.finish(ctx, rot)
	}
	now := s.Now()
	if rot.LeaseUntil.After(now) {
		return Result{}, nil // its process may still be at it
	}
	owner := "rot_" + rand.Text()
	if _, err := s.Store.BeginRotation(ctx, rot.InstallationID, owner, now, now.Add(s.Lease)); err != nil {
		return Result{}, err
	}
	next, err := s.rotate(ctx, rot.InstallationID, owner)
	if err != nil {
		return Result{}, err
	}
	return s.finish(ctx, next)
}

// Run resumes rotations in progress at start and then every interval
// until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	for {
		if _, err := s.Resume(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("resume token rotations", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// Outcome is one installation's rotation in RotateAll.
type Outcome struct {
	Result
	Err error
}

// RotateAll finishes the rotations in progress, then rotates the token
// of every installation that has one, one after the other.
func (s *Service) RotateAll(ctx context.Context) ([]Outcome, error) {
	if _, err := s.Resume(ctx); err != nil {
		return nil, err
	}
	list, err := s.Installations.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for _, in := range list {
		if in.Finalized() {
			continue // its token is gone
		}
		r, err := s.Rotate(ctx, in.ID)
		r.InstallationID = in.ID
		out = append(out, Outcome{Result: r, Err: err})
		if ctx.Err() != nil {
			break
		}
	}
	return out, ctx.Err()
}
