// Drives echo sessions as people typing: each session sends a keystroke record now and then
// (randomly spaced around its rate) and times the echo of that record. A record is 8 bytes,
// a sequence number and "keys", so every echo is checked for order and content.
import { Histogram, type HistogramData } from '../histogram.js';
import type { ClientSession } from './client-session.js';

export interface TypeJob {
  durationMs: number;
  keysPerSecond: number;
  /** The first `fast` sessions type at fastKeysPerSecond instead (key repeat, a paste). */
  fast: number;
  fastKeysPerSecond: number;
  /** How long to wait for the last echoes after typing stops. */
  drainMs: number;
}

export interface TypeResult {
  sessions: number;
  sent: number;
  /** Echoes that came back in order and intact. */
  verified: number;
  /** Echoes that were out of order or changed. */
  mismatched: number;
  rtt: HistogramData;
}

const RECORD_BYTES = 8;
const RECORD_TAIL = Buffer.from('keys');

function record(seq: number): Buffer {
  const bytes = Buffer.allocUnsafe(RECORD_BYTES);
  bytes.writeUInt32BE(seq, 0);
  RECORD_TAIL.copy(bytes, 4);
  return bytes;
}

export async function typeInto(sessions: ClientSession[], job: TypeJob): Promise<TypeResult> {
  const rtt = new Histogram();
  const result = { sessions: sessions.length, sent: 0, verified: 0, mismatched: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const stopTypingAt = performance.now() + job.durationMs;
  let outstanding = 0;
  let allEchoed: () => void = () => {};

  sessions.forEach((session, index) => {
    const intervalMs = 1000 / (index < job.fast ? job.fastKeysPerSecond : job.keysPerSecond);
    const sentAt: number[] = [];
    let pending: Buffer = Buffer.alloc(0);
    let received = 0;

    session.onOutput = (payload) => {
      pending = pending.length === 0 ? payload : Buffer.concat([pending, payload]);
      while (pending.length >= RECORD_BYTES) {
        const now = performance.now();
        if (pending.subarray(0, RECORD_BYTES).equals(record(received)) && received < sentAt.length) {
          rtt.recordMs(now - sentAt[received]!);
          result.verified++;
        } else {
          result.mismatched++;
        }
        received++;
        pending = pending.subarray(RECORD_BYTES);
        if (--outstanding === 0 && performance.now() >= stopTypingAt) allEchoed();
      }
    };

    const typeNext = (delayMs: number) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (performance.now() >= stopTypingAt || !session.isOpen) return;
        sentAt.push(performance.now());
        session.sendStdin(record(sentAt.length - 1));
        result.sent++;
        outstanding++;
        typeNext(intervalMs * (0.5 + Math.random()));
      }, delayMs);
      timers.add(timer);
    };
    typeNext(Math.random() * intervalMs);
  });

  await new Promise((resolve) => setTimeout(resolve, job.durationMs));
  for (const timer of timers) clearTimeout(timer);
  if (outstanding > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (allEchoed = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, job.drainMs))),
    ]);
    clearTimeout(timer);
  }
  for (const session of sessions) session.onOutput = () => {};
  return { ...result, rtt: rtt.toJSON() };
}
