package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/installations"
)

// Deployments keeps deployment actions, check runs and the hook calls
// they need; the deployments service decides what to do with them.
type Deployments struct{ db *DB }

// NewDeployments returns the deployment store.
func NewDeployments(d *DB) *Deployments { return &Deployments{db: d} }

type deploymentJobRow struct {
	ID             string        `db:"id"`
	Kind           string        `db:"kind"`
	InstallationID string        `db:"installation_id"`
	ResourceID     string        `db:"resource_id"`
	DeploymentID   string        `db:"deployment_id"`
	Name           string        `db:"name"`
	CheckID        string        `db:"check_id"`
	State          string        `db:"state"`
	Conclusion     string        `db:"conclusion"`
	StatusText     string        `db:"status_text"`
	URL            string        `db:"url"`
	Output         string        `db:"output"`
	SecretNames    string        `db:"secret_names"`
	Mode           string        `db:"mode"`
	Payload        string        `db:"payload"`
	ReportDue      bool          `db:"report_due"`
	Reported       string        `db:"reported"`
	ReportError    string        `db:"report_error"`
	Deadline       int64         `db:"deadline"`
	Version        int           `db:"version"`
	CreatedAt      int64         `db:"created_at"`
	UpdatedAt      int64         `db:"updated_at"`
	FinishedAt     sql.NullInt64 `db:"finished_at"`
}

const jobCols = `id, kind, installation_id, resource_id, deployment_id, name, check_id, state, conclusion, status_text,
	url, output, secret_names, mode, payload, report_due, reported, report_error, deadline, version, created_at, updated_at, finished_at`

func (r deploymentJobRow) domain() installations.DeploymentJob {
	j := installations.DeploymentJob{ID: r.ID, Kind: r.Kind, InstallationID: r.InstallationID, ResourceID: r.ResourceID,
		DeploymentID: r.DeploymentID, Name: r.Name, CheckID: r.CheckID, State: r.State, Conclusion: r.Conclusion,
		StatusText: r.StatusText, URL: r.URL, Mode: r.Mode, Payload: json.RawMessage(r.Payload), ReportDue: r.ReportDue,
		Reported: r.Reported, ReportError: r.ReportError, Deadline: FromMillis(r.Deadline), Version: r.Version,
		CreatedAt: FromMillis(r.CreatedAt), UpdatedAt: FromMillis(r.UpdatedAt), SecretNames: []string{}}
	if r.Output != "" {
		j.Output = json.RawMessage(r.Output)
	}
	json.Unmarshal([]byte(r.SecretNames), &j.SecretNames)
	if r.FinishedAt.Valid {
		t := FromMillis(r.FinishedAt.Int64)
		j.FinishedAt = &t
	}
	return j
}

// jobValues are the columns a change writes, in jobChange's order.
func jobValues(j installations.DeploymentJob) []any {
	names, _ := json.Marshal(j.SecretNames)
	if j.SecretNames == nil {
		names = []byte("[]")
	}
	var finished any
	if j.FinishedAt != nil {
		finished = Millis(*j.FinishedAt)
	}
	due := 0 // an INTEGER column: PostgreSQL does not take a bool for it
	if j.ReportDue {
		due = 1
	}
	return []any{j.State, j.Conclusion, j.StatusText, j.URL, string(j.Output), string(names), due,
		Millis(j.Deadline), Millis(j.UpdatedAt), finished}
}

const jobChange = `state = ?, conclusion = ?, status_text = ?, url = ?, output = ?, secret_names = ?, report_due = ?,
	deadline = ?, updated_at = ?, finished_at = ?`

func getJob(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, where string, args ...any) (installations.DeploymentJob, error) {
	var r deploymentJobRow
	err := sqlx.GetContext(ctx, q, &r, rebind(`SELECT `+jobCols+` FROM deployment_jobs WHERE `+where), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return installations.DeploymentJob{}, apperr.NotFoundf("no such deployment action or check run")
	}
	if err != nil {
		return installations.DeploymentJob{}, fmt.Errorf("get deployment job: %w", err)
	}
	return r.domain(), nil
}

const byKey = `installation_id = ? AND kind = ? AND deployment_id = ? AND resource_id = ? AND name = ?`

func keyArgs(k installations.DeploymentJobKey) []any {
	return []any{k.InstallationID, k.Kind, k.DeploymentID, k.ResourceID, k.Name}
}

// GetDeploymentJob returns a job by our id.
func (s *Deployments) GetDeploymentJob(ctx context.Context, id string) (installations.DeploymentJob, error) {
	return getJob(ctx, s.db.Read, s.db.Rebind, `id = ?`, id)
}

// FindDeploymentJob returns a job by its key.
func (s *Deployments) FindDeploymentJob(ctx context.Context, k installations.DeploymentJobKey) (installations.DeploymentJob, error) {
	return getJob(ctx, s.db.Read, s.db.Rebind, byKey, keyArgs(k)...)
}

// CheckRun returns an installation's check run by Vercel's check run id,
// or else the newest run of the check with that id.
func (s *Deployments) CheckRun(ctx context.Context, installationID, id string) (installations.DeploymentJob, error) {
	j, err := getJob(ctx, s.db.Read, s.db.Rebind, `installation_id = ? AND kind = ? AND name = ?`,
		installationID, installations.JobCheckRun, id)
	if apperr.KindOf(err) != apperr.NotFound {
		return j, err
	}
	return getJob(ctx, s.db.Read, s.db.Rebind, `installation_id = ? AND kind = ? AND check_id = ? ORDER BY created_at DESC, id LIMIT 1`,
		installationID, installations.JobCheckRun, id)
}

// ListDeploymentJobs returns a deployment's actions and check runs, oldest first.
func (s *Deployments) ListDeploymentJobs(ctx context.Context, installationID, deploymentID string) ([]installations.DeploymentJob, error) {
	var rows []deploymentJobRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+jobCols+` FROM deployment_jobs
		WHERE installation_id = ? AND deployment_id = ? ORDER BY created_at, id`), installationID, deploymentID); err != nil {
		return nil, fmt.Errorf("list deployment jobs: %w", err)
	}
	return domains(rows), nil
}

// DueDeploymentJobs returns up to limit jobs Vercel must be told failed:
// unfinished past their deadline, or failed here with the report due.
func (s *Deployments) DueDeploymentJobs(ctx context.Context, now time.Time, limit int) ([]installations.DeploymentJob, error) {
	var rows []deploymentJobRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+jobCols+` FROM deployment_jobs
		WHERE state IN (?, ?) AND deadline <= ?
		UNION ALL SELECT `+jobCols+` FROM deployment_jobs WHERE report_due = ?
		ORDER BY deadline LIMIT ?`),
		installations.JobRequested, installations.JobRunning, Millis(now), 1, limit); err != nil {
		return nil, fmt.Errorf("due deployment jobs: %w", err)
	}
	return domains(rows), nil
}

type deploymentCallRow struct {
	ID             string `db:"id"`
	JobID          string `db:"job_id"`
	InstallationID string `db:"installation_id"`
	Type           string `db:"type"`
	Body           string `db:"body"`
	Status         string `db:"status"`
	Attempts       int    `db:"attempts"`
	NextAttemptAt  int64  `db:"next_attempt_at"`
	Deadline       int64  `db:"deadline"`
	LastError      string `db:"last_error"`
	CreatedAt      int64  `db:"created_at"`
	UpdatedAt      int64  `db:"updated_at"`
}

const callCols = `id, job_id, installation_id, type, body, status, attempts, next_attempt_at, deadline, last_error, created_at, updated_at`

func (r deploymentCallRow) domain() installations.DeploymentCall {
	return installations.DeploymentCall{ID: r.ID, JobID: r.JobID, InstallationID: r.InstallationID, Type: r.Type,
		Body: json.RawMessage(r.Body), Status: r.Status, Attempts: r.Attempts, NextAttemptAt: FromMillis(r.NextAttemptAt),
		Deadline: FromMillis(r.Deadline), LastError: r.LastError, CreatedAt: FromMillis(r.CreatedAt), UpdatedAt: FromMillis(r.UpdatedAt)}
}

// ListDeploymentCalls returns a job's hook calls, oldest first.
func (s *Deployments) ListDeploymentCalls(ctx context.Context, jobID string) ([]installations.DeploymentCall, error) {
	var rows []deploymentCallRow
	if err := s.db.Read.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+callCols+` FROM deployment_calls
		WHERE job_id = ? ORDER BY created_at, id`), jobID); err != nil {
		return nil, fmt.Errorf("list deployment calls: %w", err)
	}
	return domains(rows), nil
}

// ClaimDeploymentCalls leases up to limit due calls to owner until
// leaseUntil. As with deliveries, the guarded UPDATE makes a claim
// exclusive across replicas: it only takes a row whose lease ran out.
func (s *Deployments) ClaimDeploymentCalls(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]installations.DeploymentCall, error) {
	var out []installations.DeploymentCall
	err := s.db.Tx(ctx, func(x *sqlx.Tx) error {
		var ids []string
		if err := x.SelectContext(ctx, &ids, x.Rebind(`SELECT id FROM deployment_calls
			WHERE status = ? AND next_attempt_at <= ? AND lease_until < ? AND deadline > ?
			ORDER BY next_attempt_at, id LIMIT ?`), installations.CallPending, Millis(now), Millis(now), Millis(now), limit); err != nil {
			return fmt.Errorf("find due deployment calls: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		args := []any{owner, Millis(leaseUntil)}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, installations.CallPending, Millis(now))
		if _, err := x.ExecContext(ctx, x.Rebind(`UPDATE deployment_calls SET lease_owner = ?, lease_until = ?
			WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) AND status = ? AND lease_until < ?`), args...); err != nil {
			return fmt.Errorf("lease deployment calls: %w", err)
		}
		var rows []deploymentCallRow
		if err := x.SelectContext(ctx, &rows, x.Rebind(`SELECT `+callCols+` FROM deployment_calls
			WHERE lease_owner = ? AND status = ? ORDER BY next_attempt_at, id`), owner, installations.CallPending); err != nil {
			return fmt.Errorf("read leased deployment calls: %w", err)
		}
		out = domains(rows)
		return nil
	})
	return out, err
}

// ReleaseDeploymentCall gives a lease back without counting an attempt.
func (s *Deployments) ReleaseDeploymentCall(ctx context.Context, id, owner string) error {
	if _, err := s.db.Write(ctx, s.db.Rebind(`UPDATE deployment_calls SET lease_owner = '', lease_until = 0
		WHERE id = ? AND lease_owner = ?`), id, owner); err != nil {
		return fmt.Errorf("release deployment call: %w", err)
	}
	return nil
}

// ExpireDeploymentCalls ends the pending calls whose deadline passed and
// that no attempt holds; it returns how many.
func (s *Deployments) ExpireDeploymentCalls(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.Write(ctx, s.db.Rebind(`UPDATE deployment_calls SET status = ?, updated_at = ?
		WHERE status = ? AND deadline <= ? AND lease_until < ?`),
		installations.CallExpired, Millis(now), installations.CallPending, Millis(now), Millis(now))
	if err != nil {
		return 0, fmt.Errorf("expire deployment calls: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// The transaction's side (installations.DeploymentTx).

func (t tx) DeploymentJob(ctx context.Context, k installations.DeploymentJobKey) (installations.DeploymentJob, error) {
	return getJob(ctx, t.x, t.x.Rebind, byKey, keyArgs(k)...)
}

func (t tx) InsertDeploymentJob(ctx context.Context, j installations.DeploymentJob) (installations.DeploymentJob, bool, error) {
	payload := string(j.Payload)
	if payload == "" {
		payload = "{}"
	}
	args := append([]any{j.ID, j.Kind, j.InstallationID, j.ResourceID, j.DeploymentID, j.Name, j.CheckID, j.Mode, payload,
		j.ReportError, Millis(j.CreatedAt)}, jobValues(j)...)
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`INSERT INTO deployment_jobs (id, kind, installation_id, resource_id,
		deployment_id, name, check_id, mode, payload, report_error, created_at,
		state, conclusion, status_text, url, output, secret_names, report_due, deadline, updated_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (installation_id, kind, deployment_id, resource_id, name) DO NOTHING`), args...)
	if err != nil {
		return installations.DeploymentJob{}, false, fmt.Errorf("insert deployment job: %w", err)
	}
	n, _ := res.RowsAffected()
	stored, err := t.DeploymentJob(ctx, j.Key())
	return stored, n == 1, err
}

func (t tx) UpdateDeploymentJob(ctx context.Context, j installations.DeploymentJob) (bool, error) {
	args := append(jobValues(j), j.ID, j.Version)
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE deployment_jobs SET `+jobChange+`, version = version + 1
		WHERE id = ? AND version = ?`), args...)
	if err != nil {
		return false, fmt.Errorf("update deployment job: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t tx) InsertDeploymentCall(ctx context.Context, c installations.DeploymentCall) error {
	now := Millis(t.d.now())
	_, err := t.x.ExecContext(ctx, t.x.Rebind(`INSERT INTO deployment_calls (id, job_id, installation_id, type, body, status,
		next_attempt_at, deadline, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		c.ID, c.JobID, c.InstallationID, c.Type, string(c.Body), installations.CallPending, Millis(c.NextAttemptAt),
		Millis(c.Deadline), now, now)
	if err != nil {
		return fmt.Errorf("insert deployment call: %w", err)
	}
	return nil
}

func (t tx) FinishDeploymentCall(ctx context.Context, c installations.DeploymentCall, owner string) (bool, error) {
	res, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE deployment_calls SET status = ?, attempts = ?, next_attempt_at = ?,
		last_error = ?, updated_at = ?, lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ?`),
		c.Status, c.Attempts, Millis(c.NextAttemptAt), c.LastError, Millis(t.d.now()), c.ID, owner)
	if err != nil {
		return false, fmt.Errorf("finish deployment call: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t tx) RecordDeploymentReport(ctx context.Context, jobID, accepted, refusal string) error {
	_, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE deployment_jobs SET
		reported = CASE WHEN ? = '' THEN reported ELSE ? END, report_error = ?, updated_at = ? WHERE id = ?`),
		accepted, accepted, refusal, Millis(t.d.now()), jobID)
	if err != nil {
		return fmt.Errorf("record deployment report: %w", err)
	}
	return nil
}

// DropDeploymentDeliveries also takes the lease of an attempt in flight
// (its outcome is then not recorded, so it is not tried again) and wipes
// the bodies it gives up: a sealed one holds outcome secrets that will
// never be sent now.
func (t tx) DropDeploymentDeliveries(ctx context.Context, installationID, jobID, reason string) error {
	now := Millis(t.d.now())
	_, err := t.x.ExecContext(ctx, t.x.Rebind(`UPDATE deliveries SET status = ?, last_error = ?, updated_at = ?, finished_at = ?,
		lease_owner = '', lease_until = 0, body = CASE WHEN body_key_id = '' THEN body ELSE '' END, body_key_id = ''
		WHERE installation_id = ? AND target = ? AND status = ?`),
		installations.DeliveryDead, reason, now, now, installationID, jobID, installations.DeliveryPending)
	if err != nil {
		return fmt.Errorf("drop deployment deliveries: %w", err)
	}
	return nil
}
