import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import type { HttpEnv } from './http.config';

/** Probes and scrapes are always answered: overload must not read as a dead process. */
const ALWAYS_ADMITTED = /^\/(health|metrics)(\/|$|\?)/;

export type AdmissionLimits = Pick<
  HttpEnv,
  'HTTP_MAX_IN_FLIGHT' | 'HTTP_MAX_QUEUED' | 'HTTP_MAX_QUEUE_MS'
>;

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

/** The response's connection is closed: nobody will read an answer. */
const gone = (response: ServerResponse) => response.destroyed || response.closed;

/**
 * Bounds the requests one process works on at once (HTTP_MAX_IN_FLIGHT); the next ones wait in
 * line, oldest first, for at most HTTP_MAX_QUEUE_MS, and at most HTTP_MAX_QUEUED of them. Past
 * either bound a request is answered 503 OVERLOADED with Retry-After before its body is read.
 *
 * Why a line with a time limit: offered more than it can take, a process that starts everything
 * makes every request slower (each one more in flight adds 1/rate to all of them) until clients
 * time out. A burst shorter than the time limit waits and is served; sustained overload is
 * refused after at most that wait, so an accepted request's latency stays near its time alone.
 *
 * A slot is given back when the response's connection closes (answered, or the client gone);
 * one handed to a waiter whose client has gone passes on to the next at once.
 */
export function admitWithin(
  fastify: FastifyInstance,
  limits: AdmissionLimits,
  onRefused: RefusalListener = () => undefined,
): AdmissionState {
  const { HTTP_MAX_IN_FLIGHT, HTTP_MAX_QUEUED, HTTP_MAX_QUEUE_MS } = limits;
  let inFlight = 0;
  const line: Waiter[] = [];

  /** A finished request's slot goes to the oldest waiter still there, or is given back. */
  const release = () => {
    for (let next = line.shift(); next; next = line.shift()) {
      if (next.admit()) return;
    }
    inFlight--;
  };

  /** Holds the slot until the response's connection closes; registered before anything awaits. */
  const holdUntilClosed = (response: ServerResponse) => {
    response.once('close', release);
  };

  /** Resolves true once a slot is handed over (already held), false after the time limit. */
  const waitForSlot = (response: ServerResponse) =>
    new Promise<boolean>((resolve) => {
      const leave = () => {
        clearTimeout(timer);
        response.off('close', leave);
        const index = line.indexOf(waiter);
        if (index !== -1) line.splice(index, 1);
        resolve(false);
      };
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          response.off('close', leave);
          if (gone(response)) {
            resolve(false);
            return false;
          }
          holdUntilClosed(response);
          resolve(true);
          return true;
        },
      };
      const timer = setTimeout(leave, HTTP_MAX_QUEUE_MS);
      // The client gave up while waiting: it must not keep a place, nor get a slot later.
      response.once('close', leave);
      line.push(waiter);
    });

  fastify.addHook('onRequest', async (request, reply) => {
    if (ALWAYS_ADMITTED.test(request.url)) return;
    const response = reply.raw;
    // Nobody to answer (the client left before its request was reached): no slot, no work.
    if (gone(response)) return refuse(request, reply, 'the client has gone');
    if (inFlight < HTTP_MAX_IN_FLIGHT) {
      inFlight++;
      holdUntilClosed(response);
      return;
    }
    if (line.length >= HTTP_MAX_QUEUED) return refuse(request, reply, 'the line is full');
    if (!(await waitForSlot(response))) {
      return refuse(request, reply, `waited ${HTTP_MAX_QUEUE_MS} ms in line`);
    }
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
