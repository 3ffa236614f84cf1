-- The read side: the order view the projector keeps and the query-service reads.
--
-- A replay builds a new generation of the view beside the one serving reads, then makes it
-- current in one transaction (blue/green). Generations are rows, not tables, because the apps'
-- roles have no DDL rights.

-- Which generation serves reads. One row.
CREATE TABLE order_view_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  current_generation integer NOT NULL
);
INSERT INTO order_view_state (current_generation) VALUES (1);

CREATE TABLE order_view (
  generation integer NOT NULL,
  order_id text NOT NULL,
  customer_id text NOT NULL,
  status text NOT NULL,
  placed_at timestamptz NOT NULL,
  -- The version of the last event applied; an event not newer than this is a duplicate.
  version integer NOT NULL,
  -- How many events were applied to the row: equal to version unless an operator skipped one.
  -- A double apply would show as applied_events > version.
  applied_events integer NOT NULL,
  -- The order as GET /orders/:id returns it.
  document jsonb NOT NULL,
  PRIMARY KEY (generation, order_id)
);
-- GET /orders lists newest first with keyset pagination on (placed_at, order_id).
CREATE INDEX order_view_newest ON order_view (generation, placed_at DESC, order_id DESC);
CREATE INDEX order_view_by_customer
  ON order_view (generation, customer_id, placed_at DESC, order_id DESC);
CREATE INDEX order_view_by_status ON order_view (generation, status, placed_at DESC, order_id DESC);

-- What the query-service reads: the current generation only. A scalar subquery rather than a
-- join, so the planner treats the generation as one value and each page is one index range scan.
CREATE VIEW current_order_view AS
  SELECT v.order_id, v.customer_id, v.status, v.placed_at, v.version, v.document
    FROM order_view v
   WHERE v.generation = (SELECT current_generation FROM order_view_state);

-- Per generation and partition, the next offset to read: written in the same transaction as
-- the view rows it accounts for.
CREATE TABLE projection_checkpoints (
  generation integer NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  -- When the last event applied from this partition occurred: lag in seconds is measured from it.
  last_event_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (generation, topic, partition)
);

-- Events that decode but cannot be applied (a version gap, an unknown type, an impossible
-- transition), and the later events of the same order, kept until an operator retries or skips.
CREATE TABLE parked_events (
  generation integer NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  order_id text NOT NULL,
  version integer NOT NULL,
  event_type text NOT NULL,
  envelope jsonb NOT NULL,
  reason text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  -- NULL while parked.
  resolution text CHECK (resolution IN ('applied', 'skipped', 'duplicate')),
  resolved_at timestamptz,
  PRIMARY KEY (generation, topic, partition, "offset")
);
CREATE INDEX parked_events_open ON parked_events (generation, order_id, version)
  WHERE resolution IS NULL;

CREATE TABLE order_view_replays (
  replay_id uuid PRIMARY KEY,
  generation integer NOT NULL UNIQUE,
  status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  -- The topic's end offsets when the replay started: it has caught up once it reaches them.
  target_offsets jsonb NOT NULL,
  total_events bigint NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text
);
-- At most one replay runs at a time.
CREATE UNIQUE INDEX order_view_replays_one_running ON order_view_replays ((true))
  WHERE status = 'running';
