import { entityTag, ifNoneMatchMatches } from './entity-tag';

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
