// --max-bytes-per-second: the client is slowed to the cap and gets every byte, in order
// (sha256 of a bulk output of random bytes), and the wait shows in /metrics.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleBackend, ConsoleEnd, ConsoleStream } from '../../lib/provider/index.js';
import { ALICE, connect, gatewayMetrics, SessionReader, startStack, type Stack } from '../fixtures/stack.js';

const TOTAL = 3 * 1024 * 1024;
const CAP = 1024 * 1024;
const BULK = randomBytes(TOTAL);

/** A console that prints BULK in 16 KiB reads as fast as it is let (honouring pause), then exits 0. */
function bulkBackend(): ConsoleBackend {
  return {
    async open() {
      let onData: (chunk: Buffer) => void = () => {};
      let onEnd: (end: ConsoleEnd) => void = () => {};
      let sent = 0;
      let paused = false;
      let closed = false;
      const pump = () => {
        while (!paused && !closed && sent < TOTAL) {
          const chunk = BULK.subarray(sent, Math.min(TOTAL, sent + 16 * 1024));
          sent += chunk.length;
          onData(chunk);
        }
        if (sent >= TOTAL && !closed) {
          closed = true;
          onEnd({ exitCode: 0 });
        }
      };
      const stream: ConsoleStream = {
        write: () => true,
        end: () => {},
        pause: () => void (paused = true),
        resume: () => {
          paused = false;
          setImmediate(pump);
        },
        onData: (handler) => {
          onData = handler;
          setImmediate(pump);
        },
        onDrain: () => {},
        onEnd: (handler) => void (onEnd = handler),
        onError: () => {},
        close: () => void (closed = true),
      };
      return stream;
    },
  };
}

let stack: Stack;
t.before(async () => {
  stack = await startStack({ backend: bulkBackend(), gateway: { maxBytesPerSecond: CAP } });
});
t.teardown(() => stack.close());

t.test('a capped session receives every byte of a bulk output, no faster than the cap', async (t) => {
  const started = performance.now();
  const session = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE }));
  await session.closed;
  const seconds = (performance.now() - started) / 1000;
  const received = Buffer.from(session.rawStdout, 'latin1');
  t.equal(received.length, TOTAL, 'every byte arrived');
  t.equal(createHash('sha256').update(received).digest('hex'), createHash('sha256').update(BULK).digest('hex'), 'sha256 matches');
  t.match(session.errorChannel, /"status":"Success"/, 'and the console ended normally');
  // The bucket lets a tenth of a second's bytes through at once; the rest waits for the cap.
  const floor = (TOTAL - CAP / 10) / CAP;
  t.ok(seconds >= floor, `took ${seconds.toFixed(2)}s, at least the ${floor.toFixed(2)}s the cap allows`);
  const throttled = Number(/^ironcore_console_throttled_seconds_total (\S+)$/m.exec(await gatewayMetrics(stack))?.[1]);
  t.ok(throttled > 1, `the wait shows in /metrics (${throttled.toFixed(2)}s)`);
});
