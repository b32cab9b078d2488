// What a benchmark session asks of the synthetic backend, spelled in the machine's name (the
// only thing every path from client to backend carries unchanged), and the byte pattern of
// bulk output, which the load generator checks byte for byte.
//   echo-<tag>                   prints a prompt, then echoes every input byte
//   bulk-<message>-<total>-<tag> after the first input byte, prints <total> bytes in
//                                messages of <message> bytes as fast as it is let, then exits 0

export type Workload =
  | { kind: 'echo' }
  | { kind: 'bulk'; messageBytes: number; totalBytes: number };

/** What an echo machine prints when a session opens: its first console byte. */
export const PROMPT = Buffer.from('$ ');

export function echoMachine(tag: string | number): string {
  return `echo-${tag}`;
}

export function bulkMachine(messageBytes: number, totalBytes: number, tag: string | number = 0): string {
  return `bulk-${messageBytes}-${totalBytes}-${tag}`;
}

export function workloadOf(machine: string): Workload | undefined {
  if (/^echo-[a-z0-9-]+$/.test(machine)) return { kind: 'echo' };
  const bulk = /^bulk-(\d+)-(\d+)-[a-z0-9-]+$/.exec(machine);
  if (!bulk) return undefined;
  const messageBytes = Number(bulk[1]);
  const totalBytes = Number(bulk[2]);
  if (messageBytes < 1 || messageBytes > LARGEST_SLICE || !Number.isSafeInteger(totalBytes)) return undefined;
  return { kind: 'bulk', messageBytes, totalBytes };
}

// Bulk output byte i is PATTERN_SOURCE[i % PERIOD]: a prime period, so a dropped, repeated or
// reordered message shows wherever message boundaries fall.
const PERIOD = 251;
const LARGEST_SLICE = 1 << 20;
const PATTERN_SOURCE = Buffer.from(Array.from({ length: LARGEST_SLICE + PERIOD }, (_, i) => i % PERIOD));

/** The `length` bulk bytes that start at stream offset `offset` (a view: never modify it). */
export function patternSlice(offset: number, length: number): Buffer {
  if (length > LARGEST_SLICE) throw new RangeError(`pattern slices are at most ${LARGEST_SLICE} bytes`);
  const start = offset % PERIOD;
  return PATTERN_SOURCE.subarray(start, start + length);
}

/** Whether `bytes` are exactly the bulk output at stream offset `offset`. */
export function matchesPattern(bytes: Uint8Array, offset: number): boolean {
  for (let done = 0; done < bytes.length; done += LARGEST_SLICE) {
    const piece = bytes.subarray(done, Math.min(bytes.length, done + LARGEST_SLICE));
    if (!Buffer.from(piece.buffer, piece.byteOffset, piece.length).equals(patternSlice(offset + done, piece.length))) return false;
  }
  return true;
}
