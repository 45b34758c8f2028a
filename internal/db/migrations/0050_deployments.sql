-- Deployment actions and check runs Vercel asked of the integration
-- (deployment.integration.action.start, deployment.checkrun.start): one
-- row each, unique per (installation, kind, deployment, resource, name),
-- so a redelivered or repeated start finds the row it made. name is the
-- action's name, or Vercel's check run id. version guards every change:
-- a change is written only over the version it was decided from.
CREATE TABLE IF NOT EXISTS deployment_jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    resource_id     TEXT NOT NULL DEFAULT '',
    deployment_id   TEXT NOT NULL,
    name            TEXT NOT NULL,
    check_id        TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    conclusion      TEXT NOT NULL DEFAULT '',
    status_text     TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    output          TEXT NOT NULL DEFAULT '',
    secret_names    TEXT NOT NULL DEFAULT '[]',
    mode            TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT '{}',
    report_due      INTEGER NOT NULL DEFAULT 0,
    reported        TEXT NOT NULL DEFAULT '',
    report_error    TEXT NOT NULL DEFAULT '',
    deadline        BIGINT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    UNIQUE (installation_id, kind, deployment_id, resource_id, name)
);

CREATE INDEX IF NOT EXISTS deployment_jobs_due ON deployment_jobs (state, deadline);

CREATE INDEX IF NOT EXISTS deployment_jobs_report ON deployment_jobs (report_due, deadline);

CREATE INDEX IF NOT EXISTS deployment_jobs_deployment ON deployment_jobs (installation_id, deployment_id);

CREATE INDEX IF NOT EXISTS deployment_jobs_name ON deployment_jobs (installation_id, kind, name);

-- Calls of the partner's hook a job needs (start, cancel, cleanup),
-- recorded with the change that needs them and made by a background
-- worker under a lease, retried until their deadline. id is the call's
-- webhook-id: the same on every attempt, so the partner can deduplicate.
CREATE TABLE IF NOT EXISTS deployment_calls (
    id              TEXT PRIMARY KEY,
    job_id          TEXT NOT NULL REFERENCES deployment_jobs(id),
    installation_id TEXT NOT NULL,
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    deadline        BIGINT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS deployment_calls_due ON deployment_calls (status, next_attempt_at);

CREATE INDEX IF NOT EXISTS deployment_calls_job ON deployment_calls (job_id);
