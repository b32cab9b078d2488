// --max-bytes-per-second: the client is slowed to the cap and gets every byte, in order
// (sha256 of a bulk output of random bytes), and the wait shows in /metrics.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { bulkBackend } from '../fixtures/bulk-backend.js';
import { ALICE, connect, gatewayMetrics, SessionReader, startStack, type Stack } from '../fixtures/stack.js';

const TOTAL = 3 * 1024 * 1024;
const CAP = 1024 * 1024;
const BULK = randomBytes(TOTAL);

let stack: Stack;
t.before(async () => {
  stack = await startStack({ backend: bulkBackend(BULK), gateway: { maxBytesPerSecond: CAP } });
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
