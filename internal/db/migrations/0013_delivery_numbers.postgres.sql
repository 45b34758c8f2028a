-- On PostgreSQL deliveries take their numbers from a sequence instead of
-- the 'deliveries' counter row, whose lock made every delivery insert wait
-- for the one before it to commit. Order within an ordering key, which is
-- all the queue needs, comes from a transaction lock on the key taken
-- before the number (see InsertDelivery).
CREATE SEQUENCE IF NOT EXISTS deliveries_seq;

SELECT setval('deliveries_seq', GREATEST(
    COALESCE((SELECT MAX(seq) FROM deliveries), 0),
    COALESCE((SELECT value FROM counters WHERE name = 'deliveries'), 0)) + 1, false);

DELETE FROM counters WHERE name = 'deliveries';
