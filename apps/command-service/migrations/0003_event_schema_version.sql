-- The schema version of each stored event's data (libs/order-events/src/schemas), per type.
-- Every event stored before this migration was written as version 1. The default stays for as
-- long as instances of the previous release may still write (a rolling deploy runs migrations
-- first): their INSERT does not name the column, and what they write is version 1. Current
-- writers always name it, and the store refuses an event its readers would refuse. Drop the
-- default in a later release, once no such writer remains.
ALTER TABLE order_events ADD COLUMN schema_version integer NOT NULL DEFAULT 1
  CHECK (schema_version >= 1);
