-- Each event an operator resolved (skip, or retry), by event id. Not per generation: a replay
-- building a new generation resolves these events the same way when they park again, so an
-- order an operator got past neither parks again nor goes back to an older version.
CREATE TABLE parked_event_decisions (
  order_id text NOT NULL,
  version integer NOT NULL,
  event_id text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('skip', 'retry')),
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, version, event_id)
);

-- The decisions taken before this migration, from the generation serving reads.
INSERT INTO parked_event_decisions (order_id, version, event_id, decision, decided_at)
SELECT p.order_id, p.version, p.envelope ->> 'eventId',
       CASE p.resolution WHEN 'skipped' THEN 'skip' ELSE 'retry' END, p.resolved_at
  FROM parked_events p JOIN order_view_state s ON p.generation = s.current_generation
 WHERE p.resolution IS NOT NULL AND p.envelope ->> 'eventId' IS NOT NULL
ON CONFLICT DO NOTHING;
