import { randomUUID } from 'node:crypto';

/**
 * A new id for a row keyed by it: a UUID of version 7 (RFC 9562), its first 48 bits the Unix
 * time in milliseconds and its other 74 random. Ids made later sort after the ones made
 * earlier, so a B-tree keyed by them (the event store's, the view's and the history's primary
 * keys) takes each new key near its right edge, on pages already cached, instead of on a random
 * page of the whole index. Measured on PostgreSQL alone, 1M events' history and view rows by
 * COPY and the rows looked up first: 6.9–7.9 µs of the backend's CPU per event against
 * 10.3–13.4 with random (version 4) ids (docs/benchmarks.md).
 *
 * Within one millisecond the ids come in no particular order, which costs the indexes nothing
 * that matters. An id tells when it was made, as an order's `placedAt` already does.
 */
export function timeOrderedUuid(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // A version 4 UUID's random bits from Node's pooled entropy, past its version digit, keep
  // their variant bits: xxxxxxxx-xxxx-4[xxx-Nxxx-xxxxxxxxxxxx].
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
