-- The pending deliveries in the order of their numbers: the worker walks
-- them from the oldest and stops once it has enough heads (deliveries no
-- earlier pending one of their ordering key precedes), instead of grouping
-- every pending delivery by key on each claim, which cost more the longer
-- the backlog (a billing cycle queues one delivery per installation).
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (seq) WHERE status = 'pending';
