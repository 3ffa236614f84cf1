-- The write side's source of truth. An order's events are numbered 1, 2, … without gaps; the
-- primary key makes two writers that decided on the same version collide instead of both winning.
CREATE TABLE order_events (
  order_id    text        NOT NULL CHECK (length(order_id) BETWEEN 1 AND 64),
  version     integer     NOT NULL CHECK (version >= 1),
  event_id    uuid        NOT NULL UNIQUE,
  type        text        NOT NULL,
  data        jsonb       NOT NULL,
  metadata    jsonb       NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, version)
);

-- Events waiting to be published, written in the same transaction as order_events. A row is
-- deleted only after Kafka acknowledged it. An order's later event is always inserted after its
-- earlier one committed, so ordering by id keeps each order's events in version order.
CREATE TABLE outbox (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid        NOT NULL UNIQUE,
  order_id    text        NOT NULL,
  payload     text        NOT NULL,
  headers     jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Wakes the relay when a transaction commits new rows (NOTIFY is delivered at commit, and only
-- once per transaction for the same channel and payload).
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

-- The first response to a command sent with an Idempotency-Key. request_hash covers the
-- method, path and body, so the same key with another request is told apart from a retry.
CREATE TABLE idempotency_keys (
  key           text        PRIMARY KEY,
  request_hash  text        NOT NULL,
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);
