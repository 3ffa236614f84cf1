import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { waitFor } from '../../tools/local-infra/wait-for';

export interface ReadRecord {
  partition: number;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning with a fresh consumer group until `done(records so far)`
 * holds, or fails at the deadline with `description`.
 */
export async function readTopicUntil(
  kafka: Kafka,
  topic: string,
  done: (records: ReadRecord[]) => boolean,
  description: string,
  timeoutMs = 90_000,
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({
    groupId: `reader-${randomBytes(6).toString('hex')}`,
    // Patient: it may start right after brokers came back.
    retry: { retries: 20, maxRetryTime: 2_000 },
  });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      records.push({
        partition,
        key: message.key?.toString(),
        value: message.value?.toString(),
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
      });
      return Promise.resolve();
    },
  });
  try {
    await waitFor(() => done(records), {
      timeoutMs,
      description: `${description} on ${topic}`,
    }).catch((error: Error) => {
      throw new Error(`${error.message} (${records.length} records read)`);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** `done` for readTopicUntil: every one of `values` has been read. */
export function sawValues(values: string[]): (records: ReadRecord[]) => boolean {
  return (records) => {
    const seen = new Set(records.map((record) => record.value));
    return values.every((value) => seen.has(value));
  };
}
