/**
 * The baseline of bench:commands, run as a child process like the service it is compared with:
 * `POST /orders` on plain node:http, the JSON body parsed, then one transaction on a pg Pool
 * with the same inserts as the command-service (order_events + outbox), answered 201 with
 * `{orderId, version: 1, status: "PLACED", total}`. No validation, logging or framework.
 * Env: DATABASE_URL, DATABASE_POOL_MAX, PORT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { reply, serveUntilSignalled } from '../baseline-server';
import { withTransaction } from '@app/database';
import { appendPlacedOrders, placedOrder, type PlaceOrderBody } from './placed-orders';

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
  application_name: 'bench baseline',
});

const server = createServer((request, response) => void route(request, response));

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method === 'GET' && request.url === '/health') return reply(response, 200, {});
  if (request.method !== 'POST' || request.url !== '/orders') {
    return reply(response, 404, { error: 'NOT_FOUND' });
  }
  try {
    const body = JSON.parse(await readBody(request)) as PlaceOrderBody;
    const order = placedOrder(body);
    await withTransaction(pool, (client) => appendPlacedOrders(client, [order]));
    const result = { orderId: order.orderId, version: 1, status: 'PLACED', total: order.total };
    reply(response, 201, result, { location: `/orders/${order.orderId}`, etag: '"1"' });
  } catch (error) {
    reply(response, 500, { error: 'INTERNAL', message: (error as Error).message });
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

serveUntilSignalled(server, pool);
