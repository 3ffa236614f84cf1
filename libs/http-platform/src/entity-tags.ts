import { createHash } from 'node:crypto';

/** The order's version as a strong entity tag: `"3"`. */
export function entityTag(version: number): string {
  return `"${version}"`;
}

/**
 * A strong entity tag for a representation with no version of its own (a page of an order's
 * history): a digest of its exact JSON text, so it changes exactly when the text does, also
 * when a replay rebuilt what a page shows without moving the order's version.
 */
export function digestTag(text: string): string {
  return `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;
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
  return members(header).some(
    (tag) => tag === '*' || tag === entityTag(version) || tag === String(version),
  );
}

/** Whether If-None-Match names `tag` (compared weakly, `*` and lists as above). */
export function ifNoneMatchNames(header: string | string[] | undefined, tag: string): boolean {
  return members(header).some((member) => member === '*' || member === tag);
}

/** The header's tags, their weak prefix removed. */
function members(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((member) => member.trim().replace(/^W\//, ''));
}
