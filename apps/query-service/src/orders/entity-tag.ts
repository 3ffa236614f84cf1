/** The order's version as a strong entity tag: `"3"`. */
export function entityTag(version: number): string {
  return `"${version}"`;
}

/**
 * Whether If-None-Match names the current version, so the client's copy is current (304).
 * RFC 9110 compares weakly here: `W/"3"` matches `"3"`. `*` matches any existing order; a list
 * matches when any member does. A bare `3` is accepted as some clients strip the quotes; members
 * that are no tag of ours are ignored rather than refused, as a cache may send anything it stored.
 */
export function ifNoneMatchMatches(
  header: string | string[] | undefined,
  version: number,
): boolean {
  if (header === undefined) return false;
  const members = (Array.isArray(header) ? header.join(',') : header).split(',');
  return members.some((member) => {
    const tag = member.trim().replace(/^W\//, '');
    return tag === '*' || tag === entityTag(version) || tag === String(version);
  });
}
