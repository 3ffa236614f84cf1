-- The view's documents and the history's entries as json rather than jsonb. Both are written
-- whole and read whole, and nothing queries inside them, so jsonb's parse on every write bought
-- nothing: it was a large part of PostgreSQL's work per event. Measured on 300k events,
-- PostgreSQL's CPU for the batches' writes: 24 s with jsonb, 19-21 s with json; with the history
-- by COPY, 17-20 s with jsonb and 14 s with json (README, _Benchmarks_). json is checked as JSON
-- on input and kept as written.
--
-- The previous release's statements still work (PostgreSQL assigns jsonb to a json column). The
-- type change rewrites every partition and its indexes under an exclusive lock: reads wait for
-- it (and answer 503 past their lock timeout), and it needs the disk for a copy of both tables.
-- Retired generations are dropped first, so that only the ones still needed are rewritten (their
-- parked events and checkpoints go at the projector's next boot, as after any drop); if a
-- projector's batch holds the lock it needs, they are rewritten too rather than fail the upgrade.
DO $$
BEGIN
  PERFORM public.order_view_drop_retired_generations();
EXCEPTION WHEN lock_not_available THEN
  RAISE NOTICE 'retired generations not dropped (a lock was held); they are rewritten with the rest';
END $$;

DROP VIEW current_order_view;
DROP VIEW current_order_history;

ALTER TABLE order_view ALTER COLUMN document TYPE json USING document::json;
ALTER TABLE order_history ALTER COLUMN entry TYPE json USING entry::json;

-- As before (0006): the current generation only.
CREATE VIEW current_order_view AS
  SELECT v.order_id, v.customer_id, v.status, v.placed_at, v.version, v.document
    FROM order_view v
   WHERE v.generation = (SELECT current_generation FROM order_view_state);

CREATE VIEW current_order_history AS
  SELECT h.order_id, h.version, h.entry
    FROM order_history h
   WHERE h.generation = (SELECT current_generation FROM order_view_state);
