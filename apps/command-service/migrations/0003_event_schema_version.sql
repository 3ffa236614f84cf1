-- The schema version of each stored event's data (libs/order-events/src/schemas), per type.
-- Every event stored before this migration was written as version 1. The default goes right
-- after filling them in: a writer that forgot the column would otherwise label newer data as
-- version 1, and readers would misread it instead of refusing it.
ALTER TABLE order_events ADD COLUMN schema_version integer NOT NULL DEFAULT 1
  CHECK (schema_version >= 1);
ALTER TABLE order_events ALTER COLUMN schema_version DROP DEFAULT;
