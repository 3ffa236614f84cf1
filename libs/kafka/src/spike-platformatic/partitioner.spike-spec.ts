import { compatibilityPartitioner, defaultPartitioner } from '@platformatic/kafka';
import { Partitioners, type PartitionMetadata } from 'kafkajs';

// Keys must land on the partitions kafkajs's DefaultPartitioner (Java murmur2) picked for the
// events already in the topic, or an order's events would be split across partitions.
describe('@platformatic/kafka partitioners vs kafkajs DefaultPartitioner', () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  const keys = [
    ...Array.from({ length: 20_000 }, (_, i) => `order-${i}`),
    ...Array.from({ length: 2_000 }, (_, i) => `${i.toString(36)}-ü-€-${'x'.repeat(i % 40)}`),
    '',
  ];

  it.each([1, 2, 3, 6, 12, 48])('compatibilityPartitioner matches for %i partitions', (count) => {
    const partitionMetadata = Array.from(
      { length: count },
      (_, partitionId) => ({ partitionId, leader: 1 }) as PartitionMetadata,
    );
    const mismatches = keys.filter((key) => {
      const expected = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
      // @platformatic/kafka applies `% partitionsCount` itself after the partitioner.
      const actual = compatibilityPartitioner({} as never, Buffer.from(key)) % count;
      return actual !== expected;
    });
    expect(mismatches).toEqual([]);
  });

  it('the library default partitioner does NOT match (so it must never be used)', () => {
    const partitionMetadata = Array.from(
      { length: 6 },
      (_, partitionId) => ({ partitionId, leader: 1 }) as PartitionMetadata,
    );
    const mismatches = keys.filter(
      (key) =>
        defaultPartitioner({} as never, Buffer.from(key)) % 6 !==
        kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }),
    );
    expect(mismatches.length).toBeGreaterThan(0);
  });
});
