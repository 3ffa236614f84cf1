import { BadRequestException } from '@nestjs/common';
import { ApiError, toApiError } from './api-error';

describe('toApiError', () => {
  it('answers a body its client cut off 400 REQUEST_ABORTED, not a 500 fault', () => {
    // What Fastify hands on when the client resets the connection mid-body.
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toApiError(aborted)).toMatchObject({ statusCode: 400, code: 'REQUEST_ABORTED' });
  });

  it('leaves any other plain error to be a logged 500', () => {
    expect(toApiError(new Error('boom'))).toBeUndefined();
    expect(toApiError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
  });

  it("keeps Nest's own refusals and the app's errors as they are", () => {
    expect(toApiError(new BadRequestException('no'))).toMatchObject({ statusCode: 400 });
    const own = new ApiError(409, 'VERSION_CONFLICT', 'stale');
    expect(toApiError(own)).toBe(own);
  });
});
