import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CORRELATION_ID_HEADER = 'x-correlation-id';
const ACCEPTABLE_ID = /^[\w.:-]{1,128}$/;

/**
 * Fastify's request id: the caller's X-Correlation-Id when it is a sane token, else a new UUID.
 * pino-http logs it as the request id, the response echoes it, and commands carry it into the
 * events they append.
 */
export function correlationIdFor(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
}
