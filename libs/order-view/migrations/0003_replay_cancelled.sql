-- A running replay can be cancelled (DELETE /admin/projections/order-view/replay).
ALTER TABLE order_view_replays DROP CONSTRAINT order_view_replays_status_check;
ALTER TABLE order_view_replays ADD CONSTRAINT order_view_replays_status_check
  CHECK (status IN ('running', 'completed', 'failed', 'cancelled'));
