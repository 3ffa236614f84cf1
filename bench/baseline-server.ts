import type { Server, ServerResponse } from 'node:http';
import type { Pool } from 'pg';

/** What the baseline servers of the benches share: JSON answers and an orderly stop. */

export function reply(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Listens on PORT; SIGTERM or SIGINT closes the server, then the pool, then exits 0. */
export function serveUntilSignalled(server: Server, pool: Pool): void {
  const shutdown = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  server.listen(Number(process.env.PORT), '127.0.0.1');
}
