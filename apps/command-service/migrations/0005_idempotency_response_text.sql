-- The recorded response of an idempotent command as the exact JSON text first sent. jsonb keeps
-- no key order, so a replay read from `response` came back with its fields reordered: the same
-- data, not the same bytes, which a client comparing or hashing responses sees as a change.
-- `response` stays, written as well, for instances of the previous release during a rolling
-- deploy (they read it); drop it in a later release.
ALTER TABLE idempotency_keys ADD COLUMN response_text text;
