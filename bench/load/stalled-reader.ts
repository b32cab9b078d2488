// The head-of-line blocking probe: a bulk session that reads some output and then stops
// reading altogether (its socket is paused, so the kernel's and then the server's buffers
// fill), as a client on a stuck network or a suspended laptop would.
import type { ClientSession } from './client-session.js';

export interface StallJob {
  /** Output read before the reader stops. */
  readBytes: number;
  timeoutMs: number;
}

const GO = Buffer.from('g');

/** Resolves with the bytes read once every session has stopped reading. */
export async function stallAfterReading(sessions: ClientSession[], job: StallJob): Promise<number> {
  const reads = sessions.map(
    (session) =>
      new Promise<number>((resolve, reject) => {
        let read = 0;
        const timer = setTimeout(() => reject(new Error(`read only ${read} of ${job.readBytes} bytes in ${job.timeoutMs} ms`)), job.timeoutMs);
        session.onOutput = (payload) => {
          read += payload.length;
          if (read < job.readBytes) return;
          clearTimeout(timer);
          session.onOutput = () => {};
          session.pauseReading();
          resolve(read);
        };
        session.sendStdin(GO);
      }),
  );
  return (await Promise.all(reads)).reduce((a, b) => a + b, 0);
}
