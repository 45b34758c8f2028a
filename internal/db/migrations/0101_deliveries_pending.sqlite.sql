-- The pending deliveries in the order of their numbers: the worker walks
-- them from the oldest and stops once it has enough heads, instead of
-- grouping every pending delivery by key on each claim, which cost more
-- the longer the backlog. An index of status is in rowid (seq) order for
-- each status. Not a partial index (status = 'pending') as on PostgreSQL:
-- SQLite prepares again, on every run, each statement that binds a value
-- compared with a partial index's column, and most statements on
-- deliveries compare status with a bound value.
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (status);
