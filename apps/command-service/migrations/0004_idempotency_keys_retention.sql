-- Idempotency keys are kept for a retention period (IDEMPOTENCY_KEY_RETENTION_HOURS), then
-- deleted by the command-service's cleanup job, which finds them by age through this index.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
