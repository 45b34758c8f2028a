-- Vercel's protocolSettings of a resource (experimentation, app URLs),
-- kept as sent and served back; '' when none.
ALTER TABLE resources ADD COLUMN protocol_settings TEXT NOT NULL DEFAULT '';

-- Our copy of the flags and experiments the partner pushed to Vercel for a
-- resource, for the dashboard's item pages; the body is the item as sent.
CREATE TABLE IF NOT EXISTS experimentation_items (
    installation_id TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
    body            TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (installation_id, resource_id, id)
);

CREATE INDEX IF NOT EXISTS experimentation_items_by_id ON experimentation_items (installation_id, id);
