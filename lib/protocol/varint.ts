// Protobuf base-128 varints for uint32 values: the link's length prefixes and the fields
// of the data fast path. Longer or larger encodings are malformed for our purposes.

export const MAX_VARINT32_BYTES = 5;

export function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes `value` (a uint32) at `offset`; returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  while (value > 0x7f) {
    target[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  target[offset++] = value;
  return offset;
}

/**
 * Reads a uint32 varint from `source` at `offset`. Returns the value and the offset after it,
 * `undefined` when the bytes end first, or `null` when the encoding is not a valid uint32.
 */
export function readVarint(
  source: Uint8Array,
  offset: number,
  end: number = source.length,
): { value: number; next: number } | undefined | null {
  let value = 0;
  for (let i = 0; i < MAX_VARINT32_BYTES; i++) {
    if (offset + i >= end) return undefined;
    const byte = source[offset + i]!;
    if (i === 4 && byte > 0x0f) return null;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { value, next: offset + i + 1 };
  }
  return null;
}
