-- Webhook events from Vercel, stored before they are answered. The id is
-- Vercel's event id: a redelivery finds its row and is not handled again.
CREATE TABLE IF NOT EXISTS webhook_events (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL,
    installation_id TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    sent_at         BIGINT NOT NULL DEFAULT 0,
    received_at     BIGINT NOT NULL
);

-- Projects a resource is connected to, as the project-connected and
-- project-disconnected webhooks tell.
CREATE TABLE IF NOT EXISTS resource_projects (
    installation_id TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    targets         TEXT NOT NULL DEFAULT '[]',
    connected_at    BIGINT NOT NULL,
    PRIMARY KEY (installation_id, resource_id, project_id)
);

-- What invoice webhooks and getInvoice tell beyond what we submitted.
ALTER TABLE invoices ADD COLUMN number TEXT NOT NULL DEFAULT '';

ALTER TABLE invoices ADD COLUMN invoice_date BIGINT NOT NULL DEFAULT 0;

ALTER TABLE invoices ADD COLUMN refund_total TEXT NOT NULL DEFAULT '';

ALTER TABLE invoices ADD COLUMN refund_reason TEXT NOT NULL DEFAULT '';
