-- Each order's history (GET /orders/:id/history): the events the view applied, one row each,
-- written in the same statement as the view rows and the checkpoint of the batch that applied
-- them. Rows belong to a generation like the view's: a replay rebuilds them beside the current
-- ones, the switch makes them current, and the retired generation's rows are deleted with it.
-- Orders projected before this migration have their earlier events here once a replay rebuilt
-- them.
CREATE TABLE order_history (
  generation integer NOT NULL,
  order_id text NOT NULL,
  version integer NOT NULL,
  -- The entry as the history returns it: eventId, type, version, occurredAt, data, correlationId.
  entry jsonb NOT NULL,
  -- A redelivered event never adds a row: only applied events are written, and one version of
  -- an order is one row.
  PRIMARY KEY (generation, order_id, version)
);

-- What the query-service reads: the current generation only, as current_order_view.
CREATE VIEW current_order_history AS
  SELECT h.order_id, h.version, h.entry
    FROM order_history h
   WHERE h.generation = (SELECT current_generation FROM order_view_state);
