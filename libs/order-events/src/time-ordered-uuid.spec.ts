import { UUID_V7, timeOfUuidV7 as timeOf } from '../../../test/fixtures/uuid-v7';
import { timeOrderedUuid } from './time-ordered-uuid';

/** An id's 128 bits, most significant first. */
const bitsOf = (id: string): number[] =>
  [...id.replaceAll('-', '')].flatMap((digit) =>
    [3, 2, 1, 0].map((shift) => (parseInt(digit, 16) >> shift) & 1),
  );

describe('timeOrderedUuid', () => {
  it('is a UUID of version 7 with the variant of RFC 9562', () => {
    for (let i = 0; i < 1_000; i++) expect(timeOrderedUuid()).toMatch(UUID_V7);
  });

  it('starts with the Unix time in milliseconds it was made at', () => {
    const before = Date.now();
    const id = timeOrderedUuid();
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now());
    expect(timeOf(timeOrderedUuid(0x0123_4567_89ab))).toBe(0x0123_4567_89ab);
    expect(timeOrderedUuid(0)).toMatch(/^00000000-0000-7/);
    expect(timeOrderedUuid(2 ** 48 - 1)).toMatch(/^ffffffff-ffff-7/);
  });

  it('refuses a time its 48 bits cannot hold', () => {
    for (const time of [-1, 1.5, 2 ** 48, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => timeOrderedUuid(time)).toThrow(RangeError);
    }
  });

  it('sorts ids made in a later millisecond after earlier ones, as text', () => {
    const times = [0, 1, 255, 256, 65_535, 65_536, Date.now(), Date.now() + 1, 2 ** 48 - 1];
    const ids = times.map((time) => timeOrderedUuid(time));
    expect([...ids].sort()).toEqual(ids);
  });

  it('draws each of its 74 random bits afresh: every one seen both set and clear', () => {
    const ids = Array.from({ length: 1_000 }, () => timeOrderedUuid(0));
    const set = new Array<number>(128).fill(0);
    for (const id of ids) bitsOf(id).forEach((bit, position) => (set[position] += bit));
    // After the time (0-47): the version (48-51), rand_a (52-63), the variant (64-65), rand_b.
    const random = [...set.keys()].filter((p) => (p >= 52 && p < 64) || p >= 66);
    expect(random).toHaveLength(74);
    for (const position of random) {
      expect({ position, set: set[position] > 0 && set[position] < ids.length }).toEqual({
        position,
        set: true,
      });
    }
    expect(set.slice(48, 52)).toEqual([0, ids.length, ids.length, ids.length]);
    expect(set.slice(64, 66)).toEqual([ids.length, 0]);
  });

  it('makes no id twice: 100,000 in one millisecond all differ', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 100_000 }, () => timeOrderedUuid(now)));
    expect(ids.size).toBe(100_000);
  });
});
