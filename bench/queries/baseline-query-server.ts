/**
 * The baseline of bench:queries, run as a child process like the service it is compared with:
 * `GET /orders/:id` on plain node:http, one query on a pg Pool (the query-service's SELECT on
 * current_order_view), answered 200 with the document as JSON and the version as ETag, or 404.
 * No validation, logging or framework. Env: DATABASE_URL, DATABASE_POOL_MAX, PORT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { reply, serveUntilSignalled } from '../baseline-server';

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
  application_name: 'bench query baseline',
});

const server = createServer((request, response) => void route(request, response));

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method === 'GET' && request.url === '/health') return reply(response, 200, {});
  const match = /^\/orders\/([^/?]+)$/.exec(request.url ?? '');
  if (request.method !== 'GET' || !match) return reply(response, 404, { error: 'NOT_FOUND' });
  try {
    const { rows } = await pool.query<{ document: unknown; version: number }>(
      'SELECT document, version FROM current_order_view WHERE order_id = $1',
      [decodeURIComponent(match[1])],
    );
    if (rows.length === 0) return reply(response, 404, { error: 'ORDER_NOT_FOUND' });
    reply(response, 200, rows[0].document, {
      etag: `"${rows[0].version}"`,
      'cache-control': 'no-cache',
    });
  } catch (error) {
    reply(response, 500, { error: 'INTERNAL', message: (error as Error).message });
  }
}

serveUntilSignalled(server, pool);
