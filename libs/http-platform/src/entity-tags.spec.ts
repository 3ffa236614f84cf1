import { digestTag, entityTag, ifNoneMatchMatches, ifNoneMatchNames } from './entity-tags';

describe('entity tags', () => {
  it('quotes the version', () => {
    expect(entityTag(7)).toBe('"7"');
  });

  it.each([
    ['"3"', true],
    ['W/"3"', true],
    ['3', true],
    ['*', true],
    [' "1", "3" ', true],
    ['"1",W/"3"', true],
    [['"1"', '"3"'], true],
    ['"2"', false],
    ['"33"', false],
    ['"1", "2"', false],
    ['W/"03"', false],
    ['', false],
    ['garbage, "x"', false],
    [undefined, false],
  ])('If-None-Match %p matches version 3: %p', (header, matches) => {
    expect(ifNoneMatchMatches(header, 3)).toBe(matches);
  });
});

describe('digest entity tags (representations without a version of their own)', () => {
  const page = JSON.stringify({ items: [{ version: 1 }], nextCursor: null });

  it('are strong, quoted, and the same for the same text', () => {
    expect(digestTag(page)).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(digestTag(page)).toBe(digestTag(`${page}`));
  });

  it('differ when the text does', () => {
    expect(digestTag(page)).not.toBe(digestTag(page.replace('null', '"1"')));
  });

  it.each([
    [(tag: string) => tag, true],
    [(tag: string) => `W/${tag}`, true],
    [(tag: string) => `"other", ${tag}`, true],
    [() => '*', true],
    [() => '"other"', false],
    [(tag: string) => tag.slice(1, -1), false],
    [() => '', false],
  ])('If-None-Match built by %p names it: %p', (build, matches) => {
    expect(ifNoneMatchNames(build(digestTag(page)), digestTag(page))).toBe(matches);
  });

  it('If-None-Match absent names nothing', () => {
    expect(ifNoneMatchNames(undefined, digestTag(page))).toBe(false);
  });
});
