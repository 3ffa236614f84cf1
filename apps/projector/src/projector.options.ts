/** What the projector's parts need to know of its configuration. */
export interface ProjectorOptions {
  topic: string;
  /** Where the live consumer moves records it can never decode. */
  deadLetterTopic: string;
  /** The live consumer group; replays use groups of their own. */
  groupId: string;
  partitionsConsumedConcurrently: number;
}

export const PROJECTOR_OPTIONS = Symbol('PROJECTOR_OPTIONS');

/**
 * A partition's share of one fetch, and so the most one batch (one transaction) reads: 4 MiB,
 * some 6,000 events. Catching up and replaying in fewer, larger batches spends less per event
 * on what each batch costs whatever its size (locks, checkpoint, commit, a fetch).
 */
export const FETCH_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
