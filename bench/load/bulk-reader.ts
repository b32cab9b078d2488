// Drives bulk sessions: one input byte starts each console's output, which is read and checked
// byte for byte against the bulk pattern until every session has its bytes or the time is up.
// Then every session stops reading (its socket is paused), so that output stops flowing while
// the sessions, and the processes that serve them (socat's per-connection children), are still
// there to be measured; they are closed afterwards.
import { matchesPattern } from '../workload.js';
import type { ClientSession } from './client-session.js';
import { epochNow } from './opener.js';

export interface BulkJob {
  /** Bytes each session's console prints in all. */
  expectBytes: number;
  /** Reading stops after this long even if bytes are missing. */
  durationMs: number;
}

export interface BulkResult {
  sessions: number;
  /** Sessions that received all `expectBytes`. */
  completed: number;
  bytes: number;
  /** Bytes that matched the pattern at their offset. */
  verifiedBytes: number;
  messages: number;
  /** Epoch milliseconds: when the start bytes were sent, and when the last counted byte came. */
  startedAt: number;
  endedAt: number;
  failures: string[];
}

const GO = Buffer.from('g');

export async function readBulk(sessions: ClientSession[], job: BulkJob): Promise<BulkResult> {
  const result: BulkResult = { sessions: sessions.length, completed: 0, bytes: 0, verifiedBytes: 0, messages: 0, startedAt: epochNow(), endedAt: 0, failures: [] };
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let running = sessions.length;
  const sessionDone = () => {
    if (--running === 0) stop();
  };

  for (const session of sessions) {
    let offset = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sessionDone();
    };
    session.onOutput = (payload) => {
      if (done) return;
      if (matchesPattern(payload, offset)) result.verifiedBytes += payload.length;
      offset += payload.length;
      result.bytes += payload.length;
      result.messages++;
      result.endedAt = epochNow();
      if (offset >= job.expectBytes) {
        result.completed++;
        finish();
      }
    };
    session.closed.then(() => {
      if (!done && session.failure) result.failures.push(session.failure);
      finish();
    });
    session.sendStdin(GO);
  }
  const timer = setTimeout(stop, job.durationMs);
  await stopped;
  clearTimeout(timer);
  if (result.completed < sessions.length) result.endedAt = epochNow();
  for (const session of sessions) {
    session.onOutput = () => {};
    session.pauseReading();
  }
  return result;
}
