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

/** readVarint's answers that are not values. */
export const VARINT_INCOMPLETE = -1;
export const VARINT_MALFORMED = -2;

/** A read position that readVarint advances, so the hot path allocates nothing per call. */
export interface Cursor {
  pos: number;
}

/**
 * Reads a uint32 varint at `cursor.pos` (before `end`) and advances the cursor past it.
 * Returns the value, VARINT_INCOMPLETE when the bytes end first (the cursor stays), or
 * VARINT_MALFORMED when the encoding is not a valid uint32.
 */
export function readVarint(source: Uint8Array, cursor: Cursor, end: number = source.length): number {
  let pos = cursor.pos;
  let value = 0;
  // Bytes 0-3 fit a 28-bit shift; the fifth may add only its low 4 bits (a uint32 ends there).
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return VARINT_INCOMPLETE;
    const byte = source[pos++]!;
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      cursor.pos = pos;
      return value;
    }
  }
  if (pos >= end) return VARINT_INCOMPLETE;
  const last = source[pos++]!;
  if (last > 0x0f) return VARINT_MALFORMED;
  cursor.pos = pos;
  return value + last * 0x10000000;
}
