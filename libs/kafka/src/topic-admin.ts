import type { Admin, ITopicConfig } from 'kafkajs';

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own waitForLeaders
 * gives up when a broker answers "does not host this topic-partition", which a KRaft broker
 * does for a moment after creation until the new metadata reaches it; here that is one more
 * reason to look again, until the deadline.
 */
export async function createTopicsAndWait(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 30_000,
): Promise<void> {
  await admin.createTopics({ topics, waitForLeaders: false });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const led = metadata.topics.every(
        ({ partitions }) => partitions.length > 0 && partitions.every((p) => p.leader >= 0),
      );
      if (led) return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `topics ${topics.map((t) => t.topic).join(', ')} have no leaders after ${timeoutMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
