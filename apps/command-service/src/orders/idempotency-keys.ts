import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { idempotencyConfig, type IdempotencyOptions } from './idempotency.config';

/** Rows deleted per statement by the cleanup job: short transactions, bounded lock time. */
const CLEANUP_BATCH = 5_000;

/** The same Idempotency-Key came with a different request: neither a retry nor safe to run. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used with a different request`);
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** What a command request is, for telling a retry from a different request under the same key. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/** JSON with object keys sorted, so a retry that orders its fields differently is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type IdempotencyClaim<T> = { kind: 'claimed' } | { kind: 'replay'; response: T };

/**
 * Idempotency keys live in the write database and are claimed inside the command's own
 * transaction: the key, the events and the recorded response commit together or not at all.
 * A concurrent request with the same key waits on the key's row until the first commits, then
 * replays its response; if the first rolled back (the command was refused), it runs itself.
 *
 * A key is kept for the retention period only: an older one is taken over as if new (so the
 * retention holds exactly, whenever the cleanup job last ran), and the job deletes it.
 */
@Injectable()
export class IdempotencyKeys {
  constructor(@Inject(idempotencyConfig.KEY) private readonly options: IdempotencyOptions) {}

  async claim<T>(
    client: PoolClient,
    key: string,
    fingerprint: string,
  ): Promise<IdempotencyClaim<T>> {
    // The cleanup job may delete an expired row between the insert and the select; then the
    // next round inserts. Two rounds always suffice; the third is a guard.
    for (let round = 0; round < 3; round += 1) {
      const inserted = await client.query(
        `INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, response = NULL, response_text = NULL,
               created_at = now()
           WHERE idempotency_keys.created_at < now() - $3 * interval '1 hour'`,
        [key, fingerprint, this.options.retentionHours],
      );
      if (inserted.rowCount === 1) return { kind: 'claimed' };
      // The exact text when it is the response recorded. Rows recorded before response_text
      // existed, or by the previous release during a rolling deploy (it writes only `response`,
      // and may have taken over an expired key whose old text is still there), replay the jsonb
      // (key order lost) rather than another request's answer.
      const { rows } = await client.query<{ request_hash: string; response: string }>(
        `SELECT request_hash,
                CASE WHEN response_text::jsonb = response THEN response_text
                     ELSE response::text END AS response
           FROM idempotency_keys WHERE key = $1`,
        [key],
      );
      const [stored] = rows;
      if (!stored) continue;
      if (stored.request_hash !== fingerprint) throw new IdempotencyKeyReusedError(key);
      // Parsed text keeps its key order, so the reply serialises to the bytes first sent.
      return { kind: 'replay', response: JSON.parse(stored.response) as T };
    }
    throw new Error(`Idempotency-Key ${key} could not be claimed`);
  }

  /** Deletes the keys older than the retention, in batches (on the created_at index); returns how many. */
  async deleteExpired(pool: Pool): Promise<number> {
    let deleted = 0;
    for (;;) {
      // The age is checked again on the row deleted, and rows a request holds are skipped: a
      // request may take an expired key over (created_at = now()) while this runs, and after it
      // commits PostgreSQL re-checks only the outer WHERE, which must then spare the row.
      const { rowCount } = await pool.query(
        `DELETE FROM idempotency_keys
          WHERE key IN (
                SELECT key FROM idempotency_keys
                 WHERE created_at < now() - $1 * interval '1 hour'
                 ORDER BY created_at LIMIT $2
                   FOR UPDATE SKIP LOCKED)
            AND created_at < now() - $1 * interval '1 hour'`,
        [this.options.retentionHours, CLEANUP_BATCH],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < CLEANUP_BATCH) return deleted;
    }
  }

  async recordResponse(client: PoolClient, key: string, response: unknown): Promise<void> {
    await client.query(
      'UPDATE idempotency_keys SET response_text = $2::text, response = $2::text::jsonb WHERE key = $1',
      [key, JSON.stringify(response)],
    );
  }
}
