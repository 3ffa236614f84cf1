import type { IncomingMessage } from 'node:http';
import { correlationIdFor } from './correlation-id';

const request = (header?: string) =>
  ({ headers: header === undefined ? {} : { 'x-correlation-id': header } }) as IncomingMessage;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('correlationIdFor', () => {
  it("keeps the caller's id when it is a sane token", () => {
    expect(correlationIdFor(request('checkout-7f3a.retry:2'))).toBe('checkout-7f3a.retry:2');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['log injection', 'abc\ninjected log line'],
    ['markup', '<script>'],
  ])('replaces a %s id with a new UUID', (_, header) => {
    expect(correlationIdFor(request(header))).toMatch(UUID);
  });
});
