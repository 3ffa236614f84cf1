/**
 * A kafkajs change carried in patches/kafkajs+2.2.4.patch: fetched records are decoded for about
 * half the CPU (offsets and timestamps as numbers while they are safe integers, each record read
 * where it lies, headers decoded when first read). Records encoded by kafkajs's own encoders must
 * come back exactly as written, on the fast path and on the paths it leaves to the original
 * arithmetic (offsets past 2^53, timestamp deltas too long for a number), and a record must
 * behave as the original's plain object does. Two tests are of what the patch changes on
 * purpose: a header named like an Object.prototype member, and a corrupt record's length.
 */
import { CompressionTypes } from 'kafkajs';

// kafkajs's internals have no types: these are the modules the patch changes and their encoders.
/* eslint-disable @typescript-eslint/no-require-imports */
const Encoder = require('kafkajs/src/protocol/encoder') as new () => EncoderLike;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(value: string): unknown };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: object) => Promise<EncoderLike>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  record: RecordSpec,
) => EncoderLike;
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (
  decoder: unknown,
) => Promise<DecodedRecord[]>;
/* eslint-enable @typescript-eslint/no-require-imports */

interface EncoderLike {
  buffer: Buffer;
  writeBytes(value: Buffer): EncoderLike;
}

interface RecordSpec {
  offsetDelta: number;
  timestampDelta: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | string[]>;
}

interface DecodedRecord {
  magicByte: number;
  attributes: number;
  isControlRecord: boolean;
  batchContext: { firstOffset: string; firstTimestamp: string };
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

interface BatchSpec {
  firstOffset: string;
  firstTimestamp: string;
  records: RecordSpec[];
  compression?: CompressionTypes;
}

/** The record batches as one fetch response's records of a partition. */
async function fetched(batches: BatchSpec[]): Promise<Buffer> {
  const encoded = await Promise.all(
    batches.map(async ({ firstOffset, firstTimestamp, records, compression }) => {
      const batch = await RecordBatch({
        compression,
        firstOffset: Long.fromValue(firstOffset),
        firstTimestamp,
        maxTimestamp: firstTimestamp,
        lastOffsetDelta: Math.max(...records.map((record) => record.offsetDelta)),
        records: records.map(Record),
      });
      return batch.buffer;
    }),
  );
  return new Encoder().writeBytes(Buffer.concat(encoded)).buffer;
}

/** What kafkajs should hand a consumer for `batch`, computed without kafkajs. */
function expected({ firstOffset, firstTimestamp, records }: BatchSpec) {
  const buffer = (text: string | null) => (text === null ? null : Buffer.from(text));
  return records.map((record) => ({
    magicByte: 2,
    attributes: 0,
    isControlRecord: false,
    batch: { firstOffset, firstTimestamp },
    offset: (BigInt(firstOffset) + BigInt(record.offsetDelta)).toString(),
    timestamp: (BigInt(firstTimestamp) + BigInt(record.timestampDelta)).toString(),
    key: buffer(record.key),
    value: buffer(record.value),
    headers: Object.fromEntries(
      Object.entries(record.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.map((item) => Buffer.from(item)) : Buffer.from(value),
      ]),
    ),
  }));
}

async function decoded(batches: BatchSpec[]) {
  const records = await fetchedRecords(batches);
  return records.map((record) => ({
    magicByte: record.magicByte,
    attributes: record.attributes,
    isControlRecord: record.isControlRecord,
    batch: {
      firstOffset: record.batchContext.firstOffset,
      firstTimestamp: record.batchContext.firstTimestamp,
    },
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    value: record.value,
    headers: record.headers,
  }));
}

/** The records of one fetch of `batches`, as kafkajs hands them over. */
async function fetchedRecords(batches: BatchSpec[]): Promise<DecodedRecord[]> {
  return decodeMessages(new Decoder(await fetched(batches)));
}

function records(count: number, spec: (index: number) => Partial<RecordSpec> = () => ({})) {
  return Array.from({ length: count }, (_, index) => ({
    offsetDelta: index,
    timestampDelta: index * 7,
    key: `order-${index}`,
    value: JSON.stringify({ index, text: 'é'.repeat(index) }),
    headers: { 'event-type': 'OrderPlaced', 'schema-version': String(index) },
    ...spec(index),
  }));
}

const NOW = '1796126678038';

const REPEATED_AND_EMPTY: RecordSpec['headers'] = {
  trace: ['a', 'b', 'c'],
  single: 'x',
  empty: '',
};

describe('kafkajs record decoding (patched)', () => {
  it('gives back every record of several batches as written: offsets, timestamps, key, value, headers', async () => {
    const batches = [
      { firstOffset: '0', firstTimestamp: NOW, records: records(3) },
      { firstOffset: '3', firstTimestamp: NOW, records: records(200) },
      { firstOffset: '1000000', firstTimestamp: '1', records: records(5) },
    ];
    expect(await decoded(batches)).toEqual(batches.flatMap(expected));
  });

  it('keeps a header named more than once as an array, null keys and values as null', async () => {
    const batch = {
      firstOffset: '42',
      firstTimestamp: NOW,
      records: records(4, (index) => ({
        key: index === 1 ? null : `k${index}`,
        value: index === 2 ? null : `v${index}`,
        headers: [{}, { pair: ['1', '2'] }, { pair: ['1', '2'] }, REPEATED_AND_EMPTY][index],
      })),
    };
    expect(await decoded([batch])).toEqual(expected(batch));
  });

  it('takes negative timestamp deltas and deltas too long for the fast path', async () => {
    const batch = {
      firstOffset: '7',
      firstTimestamp: NOW,
      records: records(5, (index) => ({
        // 2^50 needs 8 varlong bytes (zigzagged), past the 7 read as a number; -(2^52)-1
        // zigzags to 2^53+1, which no number holds exactly, had more bytes been read as one.
        timestampDelta: [-1, -1_000_000, 2 ** 50, -(2 ** 52), -(2 ** 52) - 1][index],
      })),
    };
    expect(await decoded([batch])).toEqual(expected(batch));
  });

  it('computes offsets and timestamps past 2^53 exactly, as the original did', async () => {
    const batches = [
      // The first offset is a safe integer, the later ones are not: the sum leaves the fast path.
      { firstOffset: String(2 ** 53 - 2), firstTimestamp: NOW, records: records(5) },
      {
        firstOffset: '9223372036854775000',
        firstTimestamp: '9007199254740993',
        records: records(3),
      },
      // A first timestamp no number holds exactly (2^53+11), brought back into the safe range by
      // the deltas: only the original's arithmetic gives the exact sum.
      {
        firstOffset: '0',
        firstTimestamp: '9007199254741003',
        records: records(2, (index) => ({ timestampDelta: -20 - index })),
      },
    ];
    expect(await decoded(batches)).toEqual(batches.flatMap(expected));
  });

  it('is a plain record to whoever spreads, lists, serialises or assigns its headers', async () => {
    const batch = { firstOffset: '0', firstTimestamp: NOW, records: records(3) };
    const [first, second, third] = await fetchedRecords([batch]);
    const original = expected(batch);

    // The original's keys, in its order; a spread copies the headers (Nest's KafkaParser spreads).
    expect(Object.keys(first)).toEqual([
      'magicByte',
      'attributes',
      'timestamp',
      'offset',
      'key',
      'value',
      'headers',
      'isControlRecord',
      'batchContext',
    ]);
    expect({ ...first }.headers).toEqual(original[0].headers);
    expect(JSON.parse(JSON.stringify(second)).headers).toEqual(
      JSON.parse(JSON.stringify(original[1].headers)),
    );
    // Read twice: the same object, as a data property would give.
    expect(first.headers).toBe(first.headers);
    // Assigned before and after a read, like the original's writable property.
    third.headers = { replaced: Buffer.from('before any read') };
    expect(third.headers).toEqual({ replaced: Buffer.from('before any read') });
    second.headers = { replaced: Buffer.from('after a read') };
    expect(second.headers).toEqual({ replaced: Buffer.from('after a read') });
  });

  it('reads the headers of a frozen record', async () => {
    const batch = { firstOffset: '0', firstTimestamp: NOW, records: records(1) };
    const [record] = await fetchedRecords([batch]);
    expect(Object.freeze(record).headers).toEqual(expected(batch)[0].headers);
  });

  it('keeps every header name an own property, Object.prototype member names too', async () => {
    // A changed behaviour: the original made `constructor` [Object, <its value>] and let
    // `__proto__` set the headers object's prototype.
    const headers = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": ["a", "b"]}');
    const batch = {
      firstOffset: '0',
      firstTimestamp: NOW,
      records: records(1, () => ({ headers })),
    };
    const [record] = await fetchedRecords([batch]);
    expect(Object.keys(record.headers)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(record.headers)).toBe(Object.prototype);
    const own = (name: string): unknown =>
      Object.getOwnPropertyDescriptor(record.headers, name)?.value;
    expect(own('__proto__')).toEqual(Buffer.from('p'));
    expect(own('constructor')).toEqual(Buffer.from('c'));
    expect(own('toString')).toEqual([Buffer.from('a'), Buffer.from('b')]);
  });

  it('fails the fetch on a record whose fields run past its length, instead of reading on', async () => {
    const batch = { firstOffset: '0', firstTimestamp: NOW, records: records(2) };
    const bytes = await fetched([batch]);
    // The size of the records, the batch's 61 bytes of header and count, then the first
    // record's length: a one-byte zigzag varint, made to say 2 bytes.
    const lengthAt = 4 + 61;
    expect(bytes[lengthAt] >> 1).toBeGreaterThan(2);
    bytes[lengthAt] = 2 << 1;
    await expect(decodeMessages(new Decoder(bytes))).rejects.toThrow(
      /Corrupt record at offset 0: its fields run past its length \(2\)/,
    );
  });

  it('decodes a compressed batch the same way', async () => {
    const batch = {
      firstOffset: '500',
      firstTimestamp: NOW,
      records: records(50),
      compression: CompressionTypes.GZIP,
    };
    expect(await decoded([batch])).toEqual(expected(batch));
  });
});
