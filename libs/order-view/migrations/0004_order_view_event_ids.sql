-- The id of the event behind each version of a row (element version), applied or skipped by an
-- operator. A redelivered event has the same id and is a duplicate; another event claiming a
-- version already taken is a conflict, and parks the order. Rows from before have no ids, and
-- their versions are compared as before.
ALTER TABLE order_view ADD COLUMN event_ids text[] NOT NULL DEFAULT '{}';
