import { timeOrderedUuid } from './time-ordered-uuid';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The milliseconds an id of version 7 was made at: its first 48 bits. */
const timeOf = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

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
    expect(timeOrderedUuid(1)).toMatch(/^00000000-0001-7/);
  });

  it('sorts ids made in a later millisecond after earlier ones (as text, and so as the bytes a PostgreSQL uuid compares)', () => {
    const times = [1, 255, 256, 65_535, 65_536, Date.now(), Date.now() + 1, 2 ** 48 - 1];
    const ids = times.map((time) => timeOrderedUuid(time));
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps 74 random bits: no two of 100,000 made in one millisecond are equal', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 100_000 }, () => timeOrderedUuid(now)));
    expect(ids.size).toBe(100_000);
  });
});
