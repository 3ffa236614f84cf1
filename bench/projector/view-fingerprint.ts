import { withClient } from '@app/database';

export interface ViewFingerprint {
  rows: number;
  /** Σ hashtext(document): equal for equal sets of documents (jsonb prints canonically). */
  documents: string;
  appliedEvents: number;
  parked: number;
}

/**
 * What the current generation of a read database holds, in a few numbers: two databases that
 * projected the same events agree on all of them, so a bench side that skipped or parked work
 * cannot pass for a fast one.
 */
export function viewFingerprint(databaseUrl: string): Promise<ViewFingerprint> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<ViewFingerprint>(
      `SELECT count(*)::int AS rows,
              -- jsonb's text: the same document whatever order its keys were written in.
              coalesce(sum(hashtext(v.document::jsonb::text)::bigint), 0)::text AS documents,
              coalesce(sum(v.applied_events), 0)::int AS "appliedEvents",
              (SELECT count(*)::int FROM parked_events) AS parked
         FROM order_view v JOIN order_view_state s ON v.generation = s.current_generation`,
    );
    return rows[0];
  });
}
