import type { KafkaClient } from './kafka-client';
import { KafkaMetrics } from './kafka.metrics';
import { ReliableKafkaServer } from './reliable-kafka.server';
import type { ReliableProducer } from './reliable-producer';

/** A server that is never started: what listen() would subscribe to, and what it refuses. */
function server(topics?: Record<string, string>) {
  const watched: { status(): { consuming: boolean; reason?: string } }[] = [];
  const client = { watch: (consumer: (typeof watched)[number]) => watched.push(consumer) };
  const instance = new ReliableKafkaServer(
    client as unknown as KafkaClient,
    { groupId: 'g', decode: (record) => record.value, topics },
    {} as ReliableProducer,
    new KafkaMetrics(),
  );
  return { instance, watched };
}

/** A fresh function each time: Nest chains handlers of one pattern through `next` on them. */
const handler = () => () => Promise.resolve(undefined);

describe('ReliableKafkaServer handlers', () => {
  it('subscribes to the topics of its batch handlers, logical patterns bound by `topics`', () => {
    const { instance } = server({ 'order-events': 'order-events-test' });
    instance.addHandler('order-events', handler(), true, { batch: true });
    instance.addHandler('audit', handler(), true, { batch: true });
    expect(instance.handledTopics()).toEqual(['order-events-test', 'audit']);
  });

  it.each([
    ['a @MessagePattern', false, { batch: true }, /has no one to reply to/],
    ['a handler without batch: true', true, {}, /needs \{ batch: true \}/],
  ])('refuses %s', (_name, isEvent, extras, message) => {
    const { instance } = server();
    instance.addHandler('t', handler(), isEvent, extras);
    expect(() => instance.handledTopics()).toThrow(message);
  });

  it('refuses two handlers of one topic, whether by one pattern or through `topics`', () => {
    const twice = server().instance;
    twice.addHandler('t', handler(), true, { batch: true });
    twice.addHandler('t', handler(), true, { batch: true });
    expect(() => twice.handledTopics()).toThrow(/declared more than once/);

    const aliased = server({ a: 't', b: 't' }).instance;
    aliased.addHandler('a', handler(), true, { batch: true });
    aliased.addHandler('b', handler(), true, { batch: true });
    expect(() => aliased.handledTopics()).toThrow(/both consume t/);
  });

  it('refuses to listen without a handler', () => {
    expect(() => server().instance.handledTopics()).toThrow(/no @EventPattern/);
  });

  it('is reported as not consuming from construction until it listens', () => {
    const { watched } = server();
    expect(watched.map((consumer) => consumer.status())).toMatchObject([
      { consuming: false, reason: 'the Kafka transport is not listening (yet)' },
    ]);
  });
});
