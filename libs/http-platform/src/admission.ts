import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import type { HttpEnv } from './http.config';

/** Probes and scrapes are always answered: overload must not read as a dead process. */
const ALWAYS_ADMITTED = /^\/(health|metrics)(\/|$|\?)/;

export type AdmissionLimits = Pick<
  HttpEnv,
  | 'HTTP_MAX_IN_FLIGHT'
  | 'HTTP_MAX_QUEUED'
  | 'HTTP_MAX_QUEUE_MS'
  | 'HTTP_OVERLOAD_IN_FLIGHT'
  | 'HTTP_OVERLOAD_QUEUE_MS'
>;

/** Milliseconds, monotonic; tests pass a clock of their own. */
export type Clock = () => number;

/** How many requests are being worked on, and how many wait in line. */
export interface AdmissionState {
  inFlight(): number;
  waiting(): number;
}

/** Told of each refusal: answered before the request log's middleware runs, it would go unseen. */
export type RefusalListener = (request: FastifyRequest, reason: string) => void;

interface Waiter {
  /** Takes the slot being handed over; false when the client has already gone. */
  admit(): boolean;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';

/** The response's connection is closed: nobody will read an answer. */
const gone = (response: ServerResponse) => response.destroyed || response.closed;

/**
 * An admitted request's slot: held while its connection is open and, once the request has reached
 * a handler, until that handler's work is over (it answered, or its promise settled). A client
 * that leaves mid-request does not end the work it started, so leaving must not free room for
 * more. Given back once, when both are over.
 */
class Slot {
  private connectionOpen = true;
  private working = false;
  private givenBack = false;

  constructor(
    response: ServerResponse,
    private readonly giveBack: () => void,
  ) {
    response.once('close', () => {
      this.connectionOpen = false;
      this.giveBackIfDone();
    });
  }

  /**
   * A handler is about to run (again, when one hands the request to the not-found handler);
   * false once the slot has gone with the client.
   */
  startWork(): boolean {
    if (this.givenBack) return false;
    this.working = true;
    return true;
  }

  endWork(): void {
    if (!this.working) return;
    this.working = false;
    this.giveBackIfDone();
  }

  private giveBackIfDone(): void {
    if (this.connectionOpen || this.working || this.givenBack) return;
    this.givenBack = true;
    this.giveBack();
  }
}

/**
 * Bounds the requests one process works on at once (HTTP_MAX_IN_FLIGHT); the next ones wait in
 * line, oldest first, and at most HTTP_MAX_QUEUED of them. Past either bound or its time in line
 * a request is answered 503 OVERLOADED with Retry-After before its body is read.
 *
 * Why a line with a time limit: offered more than it can take, a process that starts everything
 * makes every request slower (each one more in flight adds 1/rate to all of them) until clients
 * time out. The line tells a burst from overload (controlled delay, after Facebook's "Fail at
 * Scale"): a newcomer may wait HTTP_MAX_QUEUE_MS, so a burst is served whole. Once the line has
 * not emptied for that long the process is past its rate: until the line has been empty that
 * long again, it works on at most HTTP_OVERLOAD_IN_FLIGHT at once and a newcomer waits at most
 * HTTP_OVERLOAD_QUEUE_MS, so the excess is refused at once and an accepted request's latency
 * stays near its time at ease (Little's law: what is in flight, divided by the rate).
 *
 * A slot is given back once the response's connection has closed (answered, or the client gone)
 * and the handler, if the request reached it, is done (see Slot); one handed to a waiter
 * whose client has gone passes on to the next at once, and a request whose client left before its
 * handler ran is not handled.
 */
export function admitWithin(
  fastify: FastifyInstance,
  limits: AdmissionLimits,
  onRefused: RefusalListener = () => undefined,
  clock: Clock = () => performance.now(),
): AdmissionState {
  const { HTTP_MAX_QUEUED, HTTP_MAX_QUEUE_MS } = limits;
  let inFlight = 0;
  const line: Waiter[] = [];
  /** When the line last became empty or stopped being empty. */
  let lineChangedAt = clock();
  let overloaded = false;

  /** The line stood for HTTP_MAX_QUEUE_MS, and has not been empty as long since. */
  const isOverloaded = () => {
    const steady = clock() - lineChangedAt >= HTTP_MAX_QUEUE_MS;
    // A moment of empty line under overload is not the end of it: only a line empty for as
    // long as a burst may wait tells that the rate has fallen back.
    if (steady) overloaded = line.length > 0;
    return overloaded;
  };
  // Overload lowers the bound and the wait, never raises them: a higher bound would admit
  // newcomers ahead of the line, which is only served as requests finish, and a longer wait would
  // make them wait more when waiting is what overload is refused to avoid.
  const overloadInFlight = Math.min(limits.HTTP_OVERLOAD_IN_FLIGHT, limits.HTTP_MAX_IN_FLIGHT);
  const overloadQueueMs = Math.min(limits.HTTP_OVERLOAD_QUEUE_MS, HTTP_MAX_QUEUE_MS);
  const inFlightBound = () => (isOverloaded() ? overloadInFlight : limits.HTTP_MAX_IN_FLIGHT);

  const leaveLine = (waiter: Waiter) => {
    const index = line.indexOf(waiter);
    if (index === -1) return;
    line.splice(index, 1);
    if (line.length === 0) lineChangedAt = clock();
  };

  /** Puts a newcomer in line; returns how long it may wait there. */
  const joinLine = (waiter: Waiter): number => {
    const timeLimit = isOverloaded() ? overloadQueueMs : HTTP_MAX_QUEUE_MS;
    if (line.length === 0) lineChangedAt = clock();
    line.push(waiter);
    return timeLimit;
  };

  /**
   * A finished request's slot goes to the oldest waiter still there, or is given back: given
   * back too while more are in flight than overload allows, so the number comes down to it.
   */
  const release = () => {
    if (inFlight <= inFlightBound()) {
      for (let next = line[0]; next; next = line[0]) {
        leaveLine(next);
        if (next.admit()) return;
      }
    }
    inFlight--;
  };

  const slots = new WeakMap<FastifyRequest, Slot>();
  /** Registered before anything awaits, so that the connection's close is not missed. */
  const hold = (request: FastifyRequest, response: ServerResponse) => {
    slots.set(request, new Slot(response, release));
  };

  /**
   * Resolves undefined once a slot is handed over (already held), or how long the request was
   * allowed to wait once that has passed or its client has gone.
   */
  const waitForSlot = (request: FastifyRequest, response: ServerResponse) =>
    new Promise<number | undefined>((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        response.off('close', leave);
        leaveLine(waiter);
        resolve(timeLimit);
      };
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          response.off('close', leave);
          if (gone(response)) {
            resolve(timeLimit);
            return false;
          }
          hold(request, response);
          resolve(undefined);
          return true;
        },
      };
      const timeLimit = joinLine(waiter);
      const timer = setTimeout(leave, timeLimit);
      // The client gave up while waiting: it must not keep a place, nor get a slot later.
      response.once('close', leave);
    });

  fastify.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_ADMITTED.test(request.url)) return;
    const response = reply.raw;
    // Nobody to answer (the client left before its request was reached): no slot, no work.
    if (gone(response)) return refuse(request, reply, 'the client has gone');
    if (inFlight < inFlightBound()) {
      inFlight++;
      hold(request, response);
      return;
    }
    if (line.length >= HTTP_MAX_QUEUED) return refuse(request, reply, 'the line is full');
    const waitedMs = await waitForSlot(request, response);
    if (waitedMs !== undefined) return refuse(request, reply, `waited ${waitedMs} ms in line`);
  });
  // A request reaching its handler keeps its slot until the handler's work is over (Slot). One
  // whose slot went when its client left (in a hook before its handler, say) is not handled: it
  // would be work no slot bounds, for nobody. Callbacks, not async functions: no promise per
  // hook.
  fastify.addHook('preHandler', (request, reply, done) => {
    const slot = slots.get(request);
    if (slot && !slot.startWork()) refuse(request, reply, 'the client has gone');
    else done();
  });
  // The work is over once the handler answers or, answering or not, once the promise it returns
  // settles: a Nest handler returning an Observable settles without answering when its client has
  // gone, and Fastify sends nothing for an async handler that returns nothing to a client that has
  // gone. Work a handler goes on with after that (past its answer, or past `return reply` in
  // Fastify's style) is not bounded; Nest's handlers do neither.
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    slots.get(request)?.endWork();
    done(null, payload);
  });
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      const result: unknown = handler.call(this, request, reply);
      const endWork = () => slots.get(request)?.endWork();
      if (isThenable(result)) return Promise.resolve(result).finally(endWork);
      // Answered already, or taken over (hijacked): nothing will pass through onSend.
      if (reply.sent) endWork();
      return result;
    };
  });

  function refuse(request: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply {
    onRefused(request, reason);
    const refusal = ApiError.overloaded('The service is at capacity; retry shortly');
    return reply
      .code(refusal.statusCode)
      .header('retry-after', String(refusal.retryAfterSeconds))
      .send(refusal.toBody());
  }

  return { inFlight: () => inFlight, waiting: () => line.length };
}
