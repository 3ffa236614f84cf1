import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error';

/** Probes and scrapes are always answered: overload must not read as a dead process. */
const ALWAYS_ADMITTED = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Bounds the requests one process works on at once. Beyond `maxInFlight`, a request is answered
 * 503 OVERLOADED with Retry-After before its body is read, which costs next to nothing; without
 * the bound, a burst makes every request slower until clients time out and reset connections.
 * The database pool bounds its own queue behind this (DATABASE_POOL_MAX_WAITING).
 */
export function admitWithin(fastify: FastifyInstance, maxInFlight: number): void {
  let inFlight = 0;
  fastify.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_ADMITTED.test(request.url)) return;
    if (inFlight >= maxInFlight) {
      const refusal = ApiError.overloaded(
        `The service is at capacity (${maxInFlight} requests in progress); retry shortly`,
      );
      return reply
        .code(refusal.statusCode)
        .header('retry-after', String(refusal.retryAfterSeconds))
        .send(refusal.toBody());
    }
    inFlight++;
    let released = false;
    // 'close' follows the response, or a connection lost before it: either way the slot is free.
    reply.raw.once('close', () => {
      if (!released) inFlight--;
      released = true;
    });
  });
}
