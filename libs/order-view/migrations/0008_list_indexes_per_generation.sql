-- The view's three list indexes (GET /orders newest first, by customer, by status) per
-- generation instead of on the parent table, so that a replay builds its generation without
-- them and sorts them in once it has caught up, just before its switch. Kept up row by row while
-- a replay writes, they were a third of PostgreSQL's work for it: measured on 1M events with the
-- projector's statements on one connection, 40.9 µs of PostgreSQL's CPU per event with them
-- against 28.2 without them and 3.5 more for building them at the end (docs/benchmarks.md).
-- The primary key stays on the parent: batches look rows up by it, and it keeps them unique.
--
-- The generations there are get theirs here (retired ones are dropped first, as in 0007). Reads
-- wait while the indexes are dropped and built again (their lock timeout answers 503), so run
-- it when a few seconds of that are acceptable.

DO $$
BEGIN
  PERFORM public.order_view_drop_retired_generations();
EXCEPTION WHEN lock_not_available THEN
  RAISE NOTICE 'retired generations not dropped (a lock was held); they are indexed with the rest';
END $$;

DROP INDEX order_view_newest, order_view_by_customer, order_view_by_status;

-- Generation g's list indexes, unless it has them (order_view_add_generation gives a generation
-- its primary keys only). A replay calls it once it has caught up, on a transaction without a
-- statement timeout: it takes as long as sorting the generation's rows takes, and blocks writes
-- to that generation meanwhile (the replay's batches, an operator's resolution carried into
-- it). The advisory lock (key (0, g): batches lock (generation, partition), and no generation
-- is 0) makes a second caller wait for the first's indexes instead of building them twice.
CREATE FUNCTION order_view_index_generation(g integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  partition text := 'order_view_g' || g;
BEGIN
  IF g IS NULL OR g < 1 THEN
    RAISE EXCEPTION 'a generation is a positive integer, not %', g;
  END IF;
  PERFORM pg_advisory_xact_lock(0, g);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON public.%I (generation, placed_at DESC, order_id DESC)',
                 partition || '_newest', partition);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON public.%I (generation, customer_id, placed_at DESC, order_id DESC)',
                 partition || '_by_customer', partition);
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON public.%I (generation, status, placed_at DESC, order_id DESC)',
                 partition || '_by_status', partition);
END $$;

-- Only the projector calls it: provisioning grants EXECUTE to the roles that write.
REVOKE EXECUTE ON FUNCTION order_view_index_generation(integer) FROM PUBLIC;

-- A generation serves reads only with its list indexes: the switch's update builds whatever is
-- missing. After a replay's own build that is nothing; a projector of an earlier release, which
-- switches without building them, would otherwise leave the lists without their indexes.
CREATE FUNCTION order_view_state_indexed() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  PERFORM public.order_view_index_generation(NEW.current_generation);
  RETURN NEW;
END $$;

CREATE TRIGGER order_view_state_indexed
  BEFORE UPDATE OF current_generation ON order_view_state
  FOR EACH ROW WHEN (NEW.current_generation IS DISTINCT FROM OLD.current_generation)
  EXECUTE FUNCTION order_view_state_indexed();

DO $$
DECLARE
  g integer;
BEGIN
  FOR g IN SELECT substring(c.relname FROM '_g([0-9]+)$')::integer
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'order_view'::regclass AND c.relname ~ '^order_view_g[0-9]+$'
  LOOP
    PERFORM order_view_index_generation(g);
  END LOOP;
END $$;
