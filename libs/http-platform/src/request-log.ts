import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LevelWithSilent } from 'pino';
import type { Options } from 'pino-http';
import { requestLogRedaction } from './log-redaction';

/** Where createHttpApp leaves the matched route's pattern on the raw request, for the log line. */
export const ROUTE_PATTERN = Symbol('routePattern');

/** Longer URLs are cut in the log: a line per request must stay a line. */
export const MAX_LOGGED_URL = 200;

type LoggedRequest = IncomingMessage & { [ROUTE_PATTERN]?: string; originalUrl?: string };

/**
 * pino-http's settings for the request log: one short line per request (method, route, URL,
 * status, time, correlation id as `reqId`). Headers are logged only when the level is debug or
 * finer, through the redaction that replaces credentials.
 */
export function requestLogOptions(appName: string, level: string): Options {
  const withHeaders = level === 'debug' || level === 'trace';
  const summary = (req: IncomingMessage, res: ServerResponse, val: { responseTime?: number }) =>
    summarise(req, res, val.responseTime, withHeaders);
  return {
    name: appName,
    level,
    redact: requestLogRedaction,
    // Log lines written during a request carry its id only, not the whole request.
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: (_req, res) => requestLogLevel(res.statusCode),
    customSuccessObject: summary,
    customErrorObject: (req, res, _error, val: { responseTime?: number }) => summary(req, res, val),
    // pino-http calls every 5xx "request errored" and attaches a made-up error with a stack; the
    // level says how bad it is, and a real fault's stack is logged once by the exception filter.
    customErrorMessage: () => 'request completed',
  };
}

/**
 * Refusals the contract documents are answers, not faults: 4xx and 503 (overload, a view behind,
 * a database away, not ready) are not errors. 503 is a warning, as it says the service is short
 * of something. Any other 5xx is an error.
 */
export function requestLogLevel(status: number): LevelWithSilent {
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  return 'info';
}

function summarise(
  req: LoggedRequest,
  res: ServerResponse,
  responseTime: number | undefined,
  withHeaders: boolean,
): Record<string, unknown> {
  const url = req.originalUrl ?? req.url ?? '';
  const line: Record<string, unknown> = {
    method: req.method,
    route: req[ROUTE_PATTERN],
    url: url.length > MAX_LOGGED_URL ? `${url.slice(0, MAX_LOGGED_URL)}…` : url,
    status: res.statusCode,
    responseTime,
  };
  if (withHeaders) {
    // pino-http's serializers make these {method, url, headers, …} and {statusCode, headers};
    // the redaction paths (req.headers.*, res.headers.*) then replace the credentials.
    line.req = req;
    line.res = res;
  }
  return line;
}
