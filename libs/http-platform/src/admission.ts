import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from './api-error';
import type { HttpEnv } from './http.config';

/** Probes and scrapes are always answered: overload must not read as a dead process. */
const ALWAYS_ADMITTED = /^\/(health|metrics)(\/|$|\?)/;

export type AdmissionLimits = Pick<
  HttpEnv,
  'HTTP_MAX_IN_FLIGHT' | 'HTTP_MAX_QUEUED' | 'HTTP_MAX_QUEUE_MS'
>;

interface Waiter {
  admit: () => void;
}

/**
 * Bounds the requests one process works on at once (HTTP_MAX_IN_FLIGHT); the next ones wait in
 * line, oldest first, for at most HTTP_MAX_QUEUE_MS, and at most HTTP_MAX_QUEUED of them. Past
 * either bound a request is answered 503 OVERLOADED with Retry-After before its body is read.
 *
 * Why a line with a time limit: offered more than it can take, a process that starts everything
 * makes every request slower (each one more in flight adds 1/rate to all of them) until clients
 * time out. A burst shorter than the time limit waits and is served; sustained overload is
 * refused after at most that wait, so an accepted request's latency stays near its time alone.
 */
export function admitWithin(fastify: FastifyInstance, limits: AdmissionLimits): AdmissionState {
  const { HTTP_MAX_IN_FLIGHT, HTTP_MAX_QUEUED, HTTP_MAX_QUEUE_MS } = limits;
  let inFlight = 0;
  const line: Waiter[] = [];

  /** A finished request's slot goes to the oldest waiter, or is given back. */
  const release = () => {
    const next = line.shift();
    if (next) next.admit();
    else inFlight--;
  };

  /** Resolves true once a slot is handed over, false after the time limit or a lost client. */
  const waitForSlot = (reply: FastifyReply) =>
    new Promise<boolean>((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        reply.raw.off('close', leave);
        const index = line.indexOf(waiter);
        if (index !== -1) line.splice(index, 1);
        resolve(false);
      };
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          reply.raw.off('close', leave);
          resolve(true);
        },
      };
      const timer = setTimeout(leave, HTTP_MAX_QUEUE_MS);
      // The client gave up while waiting: it must not keep a place, nor get a slot later.
      reply.raw.once('close', leave);
      line.push(waiter);
    });

  fastify.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_ADMITTED.test(request.url)) return;
    if (inFlight < HTTP_MAX_IN_FLIGHT) {
      inFlight++;
    } else if (line.length >= HTTP_MAX_QUEUED || !(await waitForSlot(reply))) {
      return refuse(reply);
    }
    let released = false;
    // 'close' follows the response, or a connection lost before it: either way the slot is free.
    reply.raw.once('close', () => {
      if (!released) release();
      released = true;
    });
  });
  return { inFlight: () => inFlight, waiting: () => line.length };
}

/** How many requests are being worked on, and how many wait in line. */
export interface AdmissionState {
  inFlight(): number;
  waiting(): number;
}

function refuse(reply: FastifyReply): FastifyReply {
  const refusal = ApiError.overloaded('The service is at capacity; retry shortly');
  return reply
    .code(refusal.statusCode)
    .header('retry-after', String(refusal.retryAfterSeconds))
    .send(refusal.toBody());
}
