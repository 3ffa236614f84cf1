import type { redactOptions } from 'pino';

export const REDACTED = '[Redacted]';

/**
 * Headers that carry credentials: authorization (the admin bearer token), cookies both ways, and
 * by convention anything named `*-token` or `*-key` (x-api-key, x-auth-token, …).
 */
export function isSecretHeader(name: string): boolean {
  const header = name.toLowerCase();
  return (
    header === 'authorization' ||
    header === 'proxy-authorization' ||
    header === 'cookie' ||
    header === 'set-cookie' ||
    /[-_](token|key)$/.test(header)
  );
}

/**
 * pino's redaction of the request log: every header is visited (pino paths cannot match a
 * name suffix) and the secret ones are replaced. The value never reaches the log stream.
 */
export const requestLogRedaction: redactOptions = {
  paths: ['req.headers.*', 'res.headers.*'],
  censor: (value: unknown, path: string[]) =>
    isSecretHeader(path[path.length - 1] ?? '') ? REDACTED : value,
};
