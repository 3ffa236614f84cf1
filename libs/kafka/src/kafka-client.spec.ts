import { KafkaClient } from './kafka-client';
import { KafkaDurabilityError, KafkaUnavailableError } from './kafka.errors';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function client(connectTimeoutMs: number): KafkaClient {
  // Nothing connects until a method needs the cluster; these tests only run untilReachable.
  return new KafkaClient(
    {
      brokers: ['127.0.0.1:1'],
      clientId: 'kafka-client-spec',
      durability: 'strict',
      topics: [],
      connectTimeoutMs,
    },
    quiet,
  );
}

const never = () => new Promise<never>(() => undefined);

/** Settles `promise`'s outcome into a value, so that a pending one can be told apart. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('KafkaClient.untilReachable (boot)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries failures with backoff until one attempt succeeds', async () => {
    const work = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED'))
      .mockRejectedValueOnce(new Error('connect ECONNREFUSED'))
      .mockResolvedValue('connected');
    const result = track(client(60_000).untilReachable(work));
    await jest.advanceTimersByTimeAsync(250 + 500);
    expect(result).toEqual({ settled: true, value: 'connected' });
    expect(work).toHaveBeenCalledTimes(3);
  });

  it('cuts off an attempt still running at the deadline: one clear error, not a hang', async () => {
    const result = track(client(3_000).untilReachable(never));
    await jest.advanceTimersByTimeAsync(2_999);
    expect(result.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(result.error).toBeInstanceOf(KafkaUnavailableError);
    expect((result.error as KafkaUnavailableError).problems).toEqual([
      expect.stringMatching(
        /^Kafka unreachable: no broker of 127\.0\.0\.1:1 answered within 3000 ms/,
      ),
    ]);
  });

  it('gives the whole boot one deadline: a later step gets only what is left', async () => {
    const kafka = client(1_000);
    const first = track(
      kafka.untilReachable(() => new Promise((resolve) => setTimeout(resolve, 800))),
    );
    await jest.advanceTimersByTimeAsync(800);
    expect(first.settled).toBe(true);
    const second = track(kafka.untilReachable(never));
    await jest.advanceTimersByTimeAsync(199);
    expect(second.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(second.error).toBeInstanceOf(KafkaUnavailableError);
  });

  it('throws a durability refusal at once: it is an answer, not an outage', async () => {
    const refusal = new KafkaDurabilityError(['topic t: replication.factor is 1, required >= 3']);
    const work = jest.fn<Promise<never>, []>().mockRejectedValue(refusal);
    const result = track(client(60_000).untilReachable(work));
    await jest.advanceTimersByTimeAsync(0);
    expect(result).toEqual({ settled: true, error: refusal });
    expect(work).toHaveBeenCalledTimes(1);
  });
});

describe('KafkaClient: what kafkajs logs', () => {
  function recording() {
    const lines: { level: string; message: string }[] = [];
    const record = (level: string) => (message: string) => lines.push({ level, message });
    const logger = {
      log: record('log'),
      warn: record('warn'),
      error: record('error'),
      debug: record('debug'),
    };
    const kafka = new KafkaClient(
      { brokers: ['127.0.0.1:1'], clientId: 'log-spec', durability: 'strict', topics: [] },
      logger,
    );
    return { lines, kafkajs: kafka.kafka.logger() };
  }

  it.each([
    "The coordinator is loading and hence can't process requests for this group",
    'The group coordinator is not available',
    'This is not the correct coordinator for this group',
    'This server does not host this topic-partition',
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
    'The group is rebalancing, so a rejoin is needed',
  ])('logs the transient "%s" (retried by kafkajs) at debug level', (error) => {
    const { lines, kafkajs } = recording();
    kafkajs.error('Response GroupCoordinator(key: 10, version: 2)', { error });
    expect(lines).toEqual([
      {
        level: 'debug',
        message: `kafkajs: Response GroupCoordinator(key: 10, version: 2): ${error}`,
      },
    ]);
  });

  it('logs a consumer crash on a transient error, and its restart, at debug level', () => {
    const { lines, kafkajs } = recording();
    kafkajs.error(
      "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group",
      { groupId: 'g', retryCount: 0 },
    );
    kafkajs.error('Restarting the consumer in 300ms', { retryCount: 0, retryTime: 300 });
    expect(lines.map((line) => line.level)).toEqual(['debug', 'debug']);
  });

  it('warns of a consumer crash on any other error, and of its restart', () => {
    const { lines, kafkajs } = recording();
    kafkajs.error('Crash: KafkaJSProtocolError: Not authorized to access group', { groupId: 'g' });
    kafkajs.error('Restarting the consumer in 300ms', { retryCount: 0, retryTime: 300 });
    expect(lines.map((line) => line.level)).toEqual(['warn', 'warn']);
  });

  it('logs anything else kafkajs reports as a warning', () => {
    const { lines, kafkajs } = recording();
    kafkajs.error('Connection error: connect ECONNREFUSED 127.0.0.1:1', {
      error: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(lines.map((line) => line.level)).toEqual(['warn']);
  });
});
