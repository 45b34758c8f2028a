-- Pending deliveries by ordering key: the worker finds the head of each
-- key with one range scan instead of probing every pending row.
CREATE INDEX IF NOT EXISTS deliveries_heads ON deliveries (status, order_key, seq);

-- deliveries_heads serves every lookup deliveries_order did.
DROP INDEX IF EXISTS deliveries_order;
