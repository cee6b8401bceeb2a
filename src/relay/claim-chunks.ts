/** A claim's Kafka record, encoded by src/kafka/claim-codec.ts. */
export interface ClaimRecord {
  key: string;
  value: string;
}

/**
 * What a record adds to a v2 record batch besides its key and value, at most: its length, attributes,
 * timestamp and offset deltas, key and value lengths (varints) and its header count.
 */
const recordOverheadBytes = 32;

/** An upper bound of the bytes `record` takes in an uncompressed record batch. */
export const recordBytes = (record: ClaimRecord): number =>
  Buffer.byteLength(record.key) + Buffer.byteLength(record.value) + recordOverheadBytes;

/** An upper bound of the bytes `records` take in one record batch, without the batch's own header. */
export const chunkBytes = (records: readonly ClaimRecord[]): number =>
  records.reduce((sum, record) => sum + recordBytes(record), 0);

/**
 * Splits `records`, in order, into chunks of at most `maxBytes` each (as `chunkBytes` counts). A record
 * larger than `maxBytes` on its own gets a chunk of its own: splitting cannot make it smaller, and the
 * broker tells whether it fits.
 */
export function chunkClaimRecords<T extends ClaimRecord>(records: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
