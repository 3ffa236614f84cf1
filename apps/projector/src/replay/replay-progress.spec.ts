import { replayProgress } from './replay-progress';

const checkpoints = (offsets: Record<number, string>) =>
  new Map(
    Object.entries(offsets).map(([partition, nextOffset]) => [
      Number(partition),
      { partition: Number(partition), nextOffset, lastEventAt: null },
    ]),
  );

describe('replayProgress', () => {
  const replay = { targetOffsets: { '0': '100', '1': '50', '2': '0' }, totalEvents: 150 };

  it('counts what each partition has read up to its target, and is not caught up before all are', () => {
    expect(replayProgress(replay, checkpoints({ 0: '40' }))).toEqual({
      processed: 40,
      total: 150,
      caughtUp: false,
    });
  });

  it('counts a partition read beyond its target (events since the start) as its target', () => {
    expect(replayProgress(replay, checkpoints({ 0: '130', 1: '50' }))).toEqual({
      processed: 150,
      total: 150,
      caughtUp: true,
    });
  });
});
