import { StopWaiting, waitFor, withTimeout } from './wait-for';

describe('waitFor', () => {
  it('resolves with the first value the probe returns', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls === 3 ? 'done' : undefined), {
      timeoutMs: 2_000,
      intervalMs: 1,
      description: 'the third call',
    });
    expect({ value, calls }).toEqual({ value: 'done', calls: 3 });
  });

  it('fails at the deadline, naming what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 50, intervalMs: 5, description: 'the broker' },
      ),
    ).rejects.toThrow(/Timed out after 50 ms waiting for the broker: connection refused/);
  });

  it('gives up at once when the probe says waiting cannot help', async () => {
    let calls = 0;
    const waiting = waitFor(
      () => {
        calls += 1;
        throw new StopWaiting('the broker exited');
      },
      { timeoutMs: 60_000, intervalMs: 1, description: 'the broker' },
    );
    await expect(waiting).rejects.toThrow(new StopWaiting('the broker exited'));
    expect(calls).toBe(1);
  });
});

describe('withTimeout', () => {
  it('passes the result through when it comes in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000)).resolves.toBe(7);
  });

  it('rejects when the promise does not settle in time', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'send')).rejects.toThrow(
      'send: no answer within 20 ms',
    );
  });
});
