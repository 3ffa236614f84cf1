import type { ClientBase } from 'pg';
import { HeldLease } from './relay-lease';

const LEASE_MS = 9_000;

/** A connection whose acquire answers `term` and whose renewals answer `renewal()`. */
function connection(renewal: () => Promise<{ rowCount: number }>, term = '7') {
  const query = jest.fn((sql: string) =>
    sql.includes('term + 1') ? Promise.resolve({ rows: term ? [{ term }] : [] }) : renewal(),
  );
  return { query, client: { query } as unknown as ClientBase };
}

describe('HeldLease (the relay lease as its holder sees it)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is not taken while another instance holds it', async () => {
    const { client } = connection(() => Promise.resolve({ rowCount: 1 }), '');
    expect(await HeldLease.take(client, 'me', LEASE_MS, jest.fn())).toBeUndefined();
  });

  it('stays held as long as renewals succeed, renewing every third of the lease', async () => {
    const { client, query } = connection(() => Promise.resolve({ rowCount: 1 }));
    const onLost = jest.fn();
    const lease = await HeldLease.take(client, 'me', LEASE_MS, onLost);
    await jest.advanceTimersByTimeAsync(4 * LEASE_MS);
    expect(lease?.held).toBe(true);
    expect(lease?.term).toBe('7');
    expect(onLost).not.toHaveBeenCalled();
    expect(query).toHaveBeenCalledTimes(1 + 12);
    lease?.stop();
  });

  it('is lost one lease after it was taken when no renewal ever answers (a cut network)', async () => {
    const { client } = connection(() => new Promise(() => undefined));
    const onLost = jest.fn();
    const lease = await HeldLease.take(client, 'me', LEASE_MS, onLost);
    await jest.advanceTimersByTimeAsync(LEASE_MS - 1);
    expect(lease?.held).toBe(true);
    expect(onLost).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(lease?.held).toBe(false);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(onLost).toHaveBeenCalledWith(`not renewed within ${LEASE_MS} ms`);
  });

  it('counts from when a renewal was sent, not from when its answer came', async () => {
    let answer: (() => void) | undefined;
    const { client } = connection(
      () => new Promise((resolve) => (answer = () => resolve({ rowCount: 1 }))),
    );
    const onLost = jest.fn();
    const lease = await HeldLease.take(client, 'me', LEASE_MS, onLost);
    await jest.advanceTimersByTimeAsync(LEASE_MS / 3); // the first renewal is sent
    await jest.advanceTimersByTimeAsync(LEASE_MS / 2);
    answer?.(); // and answers late; later renewals never answer
    // Held until a lease after the renewal was sent: LEASE_MS / 2 from now.
    await jest.advanceTimersByTimeAsync(LEASE_MS / 2 - 1);
    expect(lease?.held).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(lease?.held).toBe(false);
    expect(onLost).toHaveBeenCalledTimes(1);
  });

  it('is lost at once when another instance took it over, or when a renewal fails', async () => {
    for (const renewal of [
      () => Promise.resolve({ rowCount: 0 }),
      () => Promise.reject(new Error('Connection terminated unexpectedly')),
    ]) {
      const onLost = jest.fn();
      const lease = await HeldLease.take(connection(renewal).client, 'me', LEASE_MS, onLost);
      await jest.advanceTimersByTimeAsync(LEASE_MS / 3);
      expect(lease?.held).toBe(false);
      expect(onLost).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(2 * LEASE_MS);
      expect(onLost).toHaveBeenCalledTimes(1);
    }
  });
});
