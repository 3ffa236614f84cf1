/** What the projector's parts need to know of its configuration. */
export interface ProjectorOptions {
  topic: string;
  /** The live consumer group; replays use groups of their own. */
  groupId: string;
  partitionsConsumedConcurrently: number;
}

export const PROJECTOR_OPTIONS = Symbol('PROJECTOR_OPTIONS');
