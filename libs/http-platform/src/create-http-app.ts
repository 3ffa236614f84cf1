import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Logger } from 'nestjs-pino';
import { admitWithin, type AdmissionLimits, type RefusalListener } from './admission';
import { ApiError } from './api-error';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from './json-depth';
import { CORRELATION_ID_HEADER, correlationIdFor } from './correlation-id';
import type { HttpEnv } from './http.config';
import { MAX_LOGGED_URL, ROUTE_PATTERN } from './request-log';

/** JSON is UTF-8 (RFC 8259); a byte order mark is kept, so JSON.parse refuses it as before. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Node refuses a request line and headers beyond 16 KiB anyway (431 HEADERS_TOO_LARGE). */
const MAX_PARAM_LENGTH = 16 * 1024;

/** The contract's request size limit: larger bodies get 413 before any handler runs. */
export const MAX_BODY_BYTES = 64 * 1024;
/** How long a request (headers and body) may take to arrive. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Builds an app on Fastify with the suite's conventions: body limit, correlation id, pino, and
 * admission within `http`'s limits (503 OVERLOADED beyond; see admission.ts).
 */
export async function createHttpApp(
  rootModule: DynamicModule,
  http: AdmissionLimits,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    requestIdHeader: false,
    genReqId: correlationIdFor,
    // Fastify's router refuses a path parameter longer than 100 characters as a bad URL, so an
    // over-long id was 400 MALFORMED_URL; let it reach the handler, which says what is wrong.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors Fastify's router raises before Nest sees the request (a path with bad percent
    // encoding): answered in the suite's error shape.
    frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => {
      const refusal = new ApiError(400, 'MALFORMED_URL', error.message);
      void reply.code(refusal.statusCode).send(refusal.toBody());
    },
    clientErrorHandler: answerClientError,
    // A request must arrive whole within this (Node answers 408 otherwise): admitted before
    // its body is read, a client that sends half a body would hold its slot forever.
    requestTimeout: REQUEST_TIMEOUT_MS,
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(CORRELATION_ID_HEADER, request.id);
    // For the request log, which sees only the raw request.
    (request.raw as { [ROUTE_PATTERN]?: string })[ROUTE_PATTERN] = request.routeOptions.url;
  });
  // Refusals end the request before the request log's middleware sees it: logged here instead.
  let logRefusal: RefusalListener = () => undefined;
  admitWithin(fastify, http, (request, reason) => logRefusal(request, reason));
  acceptJsonOnly(fastify);
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    bufferLogs: true,
    // Nest would add its own JSON and form parsers; acceptJsonOnly has set the only one.
    bodyParser: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  logRefusal = (request, reason) => {
    const url = request.url.slice(0, MAX_LOGGED_URL);
    const line = { reqId: request.id, method: request.method, url, status: 503, reason };
    logger.warn(line, 'request refused', 'Admission');
  };
  // Nest would keep buffering until the server listens: everything logged while the modules
  // initialise (Kafka retried at boot for up to KAFKA_CONNECT_TIMEOUT_MS) would appear only then,
  // or never when boot fails. Logged as it happens instead.
  app.flushLogs();
  return app;
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL beyond 16 KiB, a
 * request line that does not parse), answered in the suite's error shape rather than Fastify's
 * bare one. There is no request, so no correlation id; the connection is closed after the answer.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError(431, 'HEADERS_TOO_LARGE', 'The request line and headers exceed 16 KiB')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError(408, 'REQUEST_TIMEOUT', 'The request was not received in time')
        : new ApiError(400, 'MALFORMED_REQUEST', 'The request is not valid HTTP/1.1');
  const body = JSON.stringify(refusal.toBody());
  // As Node's own handler: a response already under way on this connection (keep-alive,
  // pipelining) must not get another one written into it.
  const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inProgress?.headersSent) {
    socket.write(
      `HTTP/1.1 ${refusal.statusCode} ${STATUS_TEXT[refusal.statusCode]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Bodies are JSON or refused with 415 (Fastify's text/plain parser is removed, and there is no
 * form parser). Fastify's JSON parser is kept for its protection against __proto__ and
 * constructor keys; only its failure is rephrased as the suite's MALFORMED_JSON.
 */
function acceptJsonOnly(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  // Bytes, decoded here: Fastify's own decoding turns invalid UTF-8 into U+FFFD and then
  // refuses the body as not matching its Content-Length, a misleading 400 BAD_REQUEST.
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = UTF8.decode(body as Buffer);
    } catch {
      done(new ApiError(400, 'MALFORMED_JSON', 'The body is not valid UTF-8'));
      return;
    }
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new ApiError(400, 'MALFORMED_JSON', `The body nests deeper than ${MAX_JSON_DEPTH} levels`),
      );
      return;
    }
    void parseJson(request, text, (error, value) => {
      if (error) {
        done(
          new ApiError(400, 'MALFORMED_JSON', `The body is not acceptable JSON: ${error.message}`),
        );
      } else {
        done(null, value);
      }
    });
  });
}

/**
 * Listens, and on SIGTERM/SIGINT shuts down through app.close(): Nest runs the modules'
 * beforeApplicationShutdown hooks (background loops stop), closes the HTTP server (in-flight
 * requests finish), then runs onApplicationShutdown (flush producers, close pools); exit 0. Nest's own
 * enableShutdownHooks re-raises the signal instead, which reads as a crash to a supervisor.
 */
export async function listen(app: NestFastifyApplication, http: HttpEnv): Promise<void> {
  const logger = app.get(Logger);
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received, shutting down`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  await app.listen(http.PORT, http.HOST);
  logger.log(`listening on http://${http.HOST}:${http.PORT}`);
}
