import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';

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
 */
@Injectable()
export class IdempotencyKeys {
  async claim<T>(
    client: PoolClient,
    key: string,
    fingerprint: string,
  ): Promise<IdempotencyClaim<T>> {
    const inserted = await client.query(
      `INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2)
       ON CONFLICT (key) DO NOTHING`,
      [key, fingerprint],
    );
    if (inserted.rowCount === 1) return { kind: 'claimed' };
    const { rows } = await client.query<{ request_hash: string; response: T }>(
      'SELECT request_hash, response FROM idempotency_keys WHERE key = $1',
      [key],
    );
    const [stored] = rows;
    if (!stored) {
      // The row that stopped the insert was deleted since; should not happen, as rows are kept.
      throw new Error(`Idempotency-Key ${key} vanished while it was being claimed`);
    }
    if (stored.request_hash !== fingerprint) throw new IdempotencyKeyReusedError(key);
    return { kind: 'replay', response: stored.response };
  }

  async recordResponse(client: PoolClient, key: string, response: unknown): Promise<void> {
    await client.query('UPDATE idempotency_keys SET response = $2 WHERE key = $1', [
      key,
      JSON.stringify(response),
    ]);
  }
}
