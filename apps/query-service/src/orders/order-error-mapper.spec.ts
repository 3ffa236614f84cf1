import { mapQueryError } from './order-error-mapper';

describe('mapQueryError', () => {
  it.each([
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('terminating connection'), { code: '57P01' }),
    Object.assign(new Error('too many clients'), { code: '53300' }),
    new Error('timeout exceeded when trying to connect'),
  ])('answers %p with 503 DATABASE_UNAVAILABLE', (error) => {
    expect(mapQueryError(error)).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
  });

  it('leaves other errors to the filter, which answers 500 and logs them', () => {
    expect(mapQueryError(new TypeError('bug'))).toBeUndefined();
    // A statement the role may not run is a bug in the service, not an outage.
    expect(mapQueryError(Object.assign(new Error('denied'), { code: '42501' }))).toBeUndefined();
  });
});
