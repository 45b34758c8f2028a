package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// Directory implements installations.Directory: the members seen at
// sign-in and the staff's search of installations.
type Directory struct{ db *DB }

// NewDirectory returns the directory store.
func NewDirectory(d *DB) *Directory { return &Directory{db: d} }

var _ installations.Directory = (*Directory)(nil)

// SeenMember records or refreshes a member.
func (s *Directory) SeenMember(ctx context.Context, m installations.Member) error {
	_, err := s.db.Write(ctx, s.db.Rebind(`INSERT INTO members (installation_id, user_id, email, name, role, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (installation_id, user_id) DO UPDATE SET
		email = excluded.email, name = excluded.name, role = excluded.role, last_seen_at = excluded.last_seen_at`),
		m.InstallationID, m.UserID, m.Email, m.Name, m.Role, Millis(m.LastSeenAt))
	if err != nil {
		return fmt.Errorf("record member: %w", err)
	}
	return nil
}

// Members lists an installation's members, latest seen first.
func (s *Directory) Members(ctx context.Context, installationID string) ([]installations.Member, error) {
	var rows []struct {
		UserID     string `db:"user_id"`
		Email      string `db:"email"`
		Name       string `db:"name"`
		Role       string `db:"role"`
		LastSeenAt int64  `db:"last_seen_at"`
	}
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT user_id, email, name, role, last_seen_at FROM members
		WHERE installation_id = ? ORDER BY last_seen_at DESC, user_id LIMIT 100`), installationID); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	out := make([]installations.Member, len(rows))
	for i, r := range rows {
		out[i] = installations.Member{InstallationID: installationID, UserID: r.UserID, Email: r.Email, Name: r.Name,
			Role: r.Role, LastSeenAt: FromMillis(r.LastSeenAt)}
	}
	return out, nil
}

// likeEscaper makes text match itself only in a LIKE ... ESCAPE '\' pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchInstallations matches q, lower-cased, inside the lower-cased id,
// account name, contact e-mail and members' e-mails. q is a bound
// parameter, its wildcards escaped.
func (s *Directory) SearchInstallations(ctx context.Context, q string, limit int) ([]installations.Installation, error) {
	pattern := "%" + likeEscaper.Replace(strings.ToLower(installations.SearchText(q))) + "%"
	var rows []installationRow
	err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+installationCols+` FROM installations
		WHERE lower(id) LIKE ? ESCAPE '\' OR lower(account_name) LIKE ? ESCAPE '\' OR lower(contact_email) LIKE ? ESCAPE '\'
		OR EXISTS (SELECT 1 FROM members m WHERE m.installation_id = installations.id AND lower(m.email) LIKE ? ESCAPE '\')
		ORDER BY created_at DESC, id DESC LIMIT ?`), pattern, pattern, pattern, pattern, limit)
	if err != nil {
		return nil, fmt.Errorf("search installations: %w", err)
	}
	return domains(rows), nil
}
