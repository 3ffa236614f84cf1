import { Writable } from 'node:stream';
import pino from 'pino';
import { isSecretHeader, requestLogRedaction } from './log-redaction';

describe('request log redaction', () => {
  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'x-forwarded-authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'apikey',
    'x-apikey',
    'token',
    'x-auth-token',
    'x-client-secret',
    'x-password',
    'idempotency-key',
  ])('treats %s as a secret', (header) => expect(isSecretHeader(header)).toBe(true));

  it.each(['content-type', 'x-correlation-id', 'user-agent', 'accept', 'if-match'])(
    'keeps %s',
    (header) => expect(isSecretHeader(header)).toBe(false),
  );

  it('replaces secret headers in a pino line and keeps the rest', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    pino({ redact: requestLogRedaction }, sink).info({
      req: {
        headers: {
          authorization: 'Bearer very-secret',
          'x-api-key': 'key-secret',
          'content-type': 'application/json',
        },
      },
      res: { headers: { 'set-cookie': 'session=cookie-secret' } },
    });
    const logged = JSON.parse(lines[0]) as {
      req: { headers: Record<string, string> };
      res: { headers: Record<string, string> };
    };
    expect(logged.req.headers).toEqual({
      authorization: '[Redacted]',
      'x-api-key': '[Redacted]',
      'content-type': 'application/json',
    });
    expect(logged.res.headers).toEqual({ 'set-cookie': '[Redacted]' });
    expect(lines.join('')).not.toMatch(/secret/);
  });
});
