import type { redactOptions } from 'pino';

export const REDACTED = '[Redacted]';

/**
 * Headers that carry credentials: authorization (the admin bearer token) in any form, cookies
 * both ways, and by convention anything naming a token, key, secret or password (x-api-key,
 * apikey, x-auth-token, x-client-secret, …). Generous on purpose: a header wrongly hidden costs
 * a debugging detail, one wrongly shown a credential.
 */
export function isSecretHeader(name: string): boolean {
  const header = name.toLowerCase();
  return (
    header === 'cookie' || header === 'set-cookie' || /auth|token|key|secret|passw/.test(header)
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
