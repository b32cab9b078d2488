// The key that leaves the console, as telnet's and virtctl's ^]. It counts only when it arrives
// alone in one read: a paste or a fast burst that contains the byte is console input (binary
// data, escape sequences), and is sent through as it is.
import { ExecError } from './failures.js';

export const DEFAULT_ESCAPE = '^]';

/** Parses `^X` notation (`^]`, `^A`, `^?`...) or `none` (no escape key: undefined). */
export function parseEscapeKey(spec: string): number | undefined {
  if (spec === 'none') return undefined;
  const match = /^\^(.)$/.exec(spec);
  const char = match?.[1]!.toUpperCase().charCodeAt(0);
  if (char === 0x3f) return 0x7f; // ^? is DEL
  if (char === undefined || char < 0x40 || char > 0x5f) {
    throw new ExecError('usage', `invalid --escape ${JSON.stringify(spec)}: use ^ and a character (e.g. '^]' or '^A'), or 'none'`);
  }
  return char & 0x1f;
}

/** The key in `^X` notation. */
export function describeEscapeKey(key: number): string {
  return key === 0x7f ? '^?' : `^${String.fromCharCode(key + 0x40)}`;
}

/** Whether this read is the escape key and nothing else. */
export function isEscapeChunk(chunk: Uint8Array, key: number): boolean {
  return chunk.length === 1 && chunk[0] === key;
}
