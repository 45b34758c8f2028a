-- A resource's notification, as Vercel shows it ('' = none); the
-- installation's has its own column since 0001.
ALTER TABLE resources ADD COLUMN notification TEXT NOT NULL DEFAULT '';

-- latest_key groups deliveries of which only the newest pending one is
-- worth sending (one notification, one status): recording a newer one
-- supersedes the older ones no attempt holds. They share an order key,
-- so deliveries_heads (status, order_key) finds them; no index of its own.
ALTER TABLE deliveries ADD COLUMN latest_key TEXT NOT NULL DEFAULT '';
