/**
 * A kafkajs fix carried in patches/kafkajs+2.2.4.patch: an unthrottled request queue scheduled
 * its pending-request check at `-1 - Date.now()` ms. Node clamps that to 1 ms, and Node 24
 * prints a TimeoutNegativeWarning for it, once per process, into every app's output.
 */
// kafkajs's internals have no types: this is the module the patch changes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => {
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

describe('kafkajs request queue (patched)', () => {
  it('schedules its pending-request check with a delay that is never negative', () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const queue = new RequestQueue({
      instrumentationEmitter: { emit: () => undefined },
      maxInFlightRequests: 1,
      requestTimeout: 1_000,
      enforceRequestTimeout: true,
      clientId: 'test',
      broker: '127.0.0.1:1',
      logger: { debug: () => undefined, warn: () => undefined, error: () => undefined },
    });
    try {
      queue.scheduleCheckPendingRequests();
      const delays = setTimeoutSpy.mock.calls.map((call) => call[1]);
      expect(delays).toHaveLength(1);
      expect(delays[0]).toBeGreaterThanOrEqual(1);
    } finally {
      queue.destroy();
      setTimeoutSpy.mockRestore();
    }
  });
});
