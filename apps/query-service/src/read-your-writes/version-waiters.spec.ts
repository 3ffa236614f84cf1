import { VersionWaiters, type WaitOutcome, type WaitRequest } from './version-waiters';

/** A stand-in for the view: versions the test sets, lookups it records and can hold. */
class FakeView {
  readonly versions = new Map<string, number>();
  readonly lookups: string[][] = [];
  failWith?: Error;
  /** Set by hold(), taken by the next lookup. */
  private held?: Promise<void>;
  private releaseHeld?: () => void;

  readonly fetch = async (orderIds: readonly string[]): Promise<Map<string, number>> => {
    this.lookups.push([...orderIds].sort());
    // Read when asked, answered when released: like a query whose snapshot predates its reply.
    const answer = new Map(
      orderIds.flatMap((id) => (this.versions.has(id) ? [[id, this.versions.get(id)!]] : [])),
    );
    const failure = this.failWith;
    const held = this.held;
    this.held = undefined;
    await held;
    if (failure) throw failure;
    return answer;
  };

  /** The next lookup answers only once release() is called. */
  hold(): void {
    this.held = new Promise<void>((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.releaseHeld?.();
  }
}

const POLL_MS = 1_000;

function setUp(maxWaiters = 100) {
  const view = new FakeView();
  const errors: unknown[] = [];
  const waiters = new VersionWaiters({
    fetchVersions: view.fetch,
    maxWaiters,
    pollIntervalMs: POLL_MS,
    onFetchError: (error) => errors.push(error),
  });
  return { view, waiters, errors };
}

/** A wait whose outcome the test can inspect without awaiting (undefined while pending). */
function track(promise: Promise<WaitOutcome>): { outcome?: WaitOutcome } {
  const tracked: { outcome?: WaitOutcome } = {};
  void promise.then((outcome) => (tracked.outcome = outcome));
  return tracked;
}

const request = (orderId: string, minVersion: number, more: Partial<WaitRequest> = {}) => ({
  orderId,
  minVersion,
  timeoutMs: 10_000,
  currentVersion: 0,
  ...more,
});

/** Lets pending promise callbacks run (a few hops deep) without moving the clock. */
async function settle(): Promise<void> {
  for (let hop = 0; hop < 10; hop++) await Promise.resolve();
}

describe('VersionWaiters', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('on a change, looks up every waited-on order in one query and releases those reached', async () => {
    const { view, waiters } = setUp();
    const a1 = track(waiters.wait(request('a', 2, { currentVersion: 1 })));
    const a2 = track(waiters.wait(request('a', 3, { currentVersion: 1 })));
    const b = track(waiters.wait(request('b', 1)));

    view.versions.set('a', 2);
    view.versions.set('b', 1);
    waiters.viewChanged();
    await settle();

    expect(view.lookups).toEqual([['a', 'b']]);
    expect(a1.outcome).toEqual({ reached: true, version: 2 });
    expect(b.outcome).toEqual({ reached: true, version: 1 });
    expect(a2.outcome).toBeUndefined();
    expect(waiters.size).toBe(1);
  });

  it('runs one more lookup after the running one, however many changes arrived meanwhile', async () => {
    const { view, waiters } = setUp();
    const waiting = track(waiters.wait(request('a', 5)));
    view.versions.set('a', 4);
    view.hold();
    waiters.viewChanged();
    view.versions.set('a', 5);
    for (let i = 0; i < 10; i++) waiters.viewChanged();
    expect(view.lookups).toHaveLength(1);

    view.release();
    await settle();

    expect(view.lookups).toHaveLength(2);
    expect(waiting.outcome).toEqual({ reached: true, version: 5 });
  });

  it('ends a wait at its deadline with the last version seen', async () => {
    const { view, waiters } = setUp();
    const waiting = track(waiters.wait(request('a', 5, { timeoutMs: 2_500, currentVersion: 1 })));
    view.versions.set('a', 3);
    waiters.viewChanged();
    await jest.advanceTimersByTimeAsync(2_499);
    expect(waiting.outcome).toBeUndefined();

    await jest.advanceTimersByTimeAsync(1);
    expect(waiting.outcome).toEqual({ reached: false, currentVersion: 3, reason: 'timeout' });
    expect(waiters.size).toBe(0);
  });

  it('reports 0 for an order that is not in the view', async () => {
    const { waiters } = setUp();
    const waiting = track(waiters.wait(request('missing', 1, { timeoutMs: 100 })));
    waiters.viewChanged();
    await jest.advanceTimersByTimeAsync(100);
    expect(waiting.outcome).toEqual({ reached: false, currentVersion: 0, reason: 'timeout' });
  });

  it('polls on one shared timer while anyone waits, and stops when no one does', async () => {
    const { view, waiters } = setUp();
    const waits = ['a', 'b', 'c'].map((id) => track(waiters.wait(request(id, 1))));
    await jest.advanceTimersByTimeAsync(3 * POLL_MS);
    expect(view.lookups).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);

    for (const id of ['a', 'b', 'c']) view.versions.set(id, 1);
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(waits.map((wait) => wait.outcome?.reached)).toEqual([true, true, true]);

    await jest.advanceTimersByTimeAsync(10 * POLL_MS);
    expect(view.lookups).toHaveLength(4);
  });

  it('does not look anything up for a change while no one waits', async () => {
    const { view, waiters } = setUp();
    waiters.viewChanged();
    await settle();
    expect(view.lookups).toHaveLength(0);
  });

  it('looks up at once when the view changed between the caller’s read and its wait', async () => {
    const { view, waiters } = setUp();
    const mark = waiters.changeMark();
    waiters.viewChanged(); // announced before the waiter existed: nobody looked
    view.versions.set('a', 2);
    const waiting = track(waiters.wait(request('a', 2, { since: mark })));
    await settle();
    expect(waiting.outcome).toEqual({ reached: true, version: 2 });

    const unchanged = track(waiters.wait(request('b', 1, { since: waiters.changeMark() })));
    await settle();
    expect(view.lookups).toHaveLength(1);
    expect(unchanged.outcome).toBeUndefined();
  });

  it('refuses a wait beyond maxWaiters at once, and accepts again once one ended', async () => {
    const { waiters } = setUp(2);
    const first = track(waiters.wait(request('a', 1, { timeoutMs: 100 })));
    track(waiters.wait(request('b', 1)));
    const refused = await waiters.wait(request('c', 1, { currentVersion: 4 }));
    expect(refused).toEqual({ reached: false, currentVersion: 4, reason: 'overloaded' });

    await jest.advanceTimersByTimeAsync(100);
    expect(first.outcome?.reached).toBe(false);
    const accepted = track(waiters.wait(request('c', 1)));
    await settle();
    expect(accepted.outcome).toBeUndefined();
    expect(waiters.size).toBe(2);
  });

  it('drops a waiter whose client went away, and stops polling for it', async () => {
    const { view, waiters } = setUp();
    const abort = new AbortController();
    const waiting = track(waiters.wait(request('a', 1, { signal: abort.signal })));
    abort.abort();
    await settle();
    expect(waiting.outcome).toEqual({ reached: false, currentVersion: 0, reason: 'aborted' });
    expect(waiters.size).toBe(0);
    await jest.advanceTimersByTimeAsync(5 * POLL_MS);
    expect(view.lookups).toHaveLength(0);
  });

  it('keeps waiting through failed lookups and still ends by the deadline', async () => {
    const { view, waiters, errors } = setUp();
    view.failWith = new Error('connection refused');
    const waiting = track(waiters.wait(request('a', 1, { timeoutMs: 2_500 })));
    waiters.viewChanged();
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(errors).toHaveLength(2);
    expect(waiting.outcome).toBeUndefined();

    view.failWith = undefined;
    view.versions.set('a', 1);
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(waiting.outcome).toEqual({ reached: true, version: 1 });
  });

  it('ends a wait by its deadline even while a lookup hangs', async () => {
    const { view, waiters } = setUp();
    view.hold();
    const waiting = track(waiters.wait(request('a', 1, { timeoutMs: 500 })));
    waiters.viewChanged();
    await jest.advanceTimersByTimeAsync(500);
    expect(waiting.outcome).toEqual({ reached: false, currentVersion: 0, reason: 'timeout' });
    view.release();
  });

  it('answers at once for a wait of 0 ms, without registering', async () => {
    const { waiters } = setUp();
    await expect(waiters.wait(request('a', 1, { timeoutMs: 0 }))).resolves.toEqual({
      reached: false,
      currentVersion: 0,
      reason: 'timeout',
    });
    expect(waiters.size).toBe(0);
  });

  it('ends every wait on close and refuses new ones', async () => {
    const { waiters } = setUp();
    const waits = [track(waiters.wait(request('a', 1))), track(waiters.wait(request('b', 2)))];
    waiters.close();
    await settle();
    expect(waits.map((wait) => wait.outcome)).toEqual([
      { reached: false, currentVersion: 0, reason: 'closing' },
      { reached: false, currentVersion: 0, reason: 'closing' },
    ]);
    await expect(waiters.wait(request('c', 1))).resolves.toMatchObject({ reason: 'closing' });
  });
});
