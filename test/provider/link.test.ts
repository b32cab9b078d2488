// The provider's link semantics, end to end over TLS with the test backend.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { DEFAULT_STREAM_WINDOW } from '../../lib/link/index.js';
import { encodeFrame } from '../../lib/protocol/index.js';
import { eventually, until } from '../link/fixtures/wait.js';
import { startProvider } from './fixtures/provider.js';

t.test('open, write, read, resize and exit through the link', async (t) => {
  const provider = await startProvider(t, { sharing: 'none' });
  const link = await provider.connect();
  const stream = link.open({ machine: 'cat-1', cols: 90, rows: 30 });
  t.match(await stream.waitOpened(), { window: DEFAULT_STREAM_WINDOW, writer: true });
  t.match(provider.backend.requests[0], { namespace: 'default', machine: 'cat-1', tty: true, cols: 90, rows: 30, user: { username: 'alice', groups: ['devs'] } });

  await stream.write('hello\n');
  await stream.waitOutput('hello\n');
  stream.resize(132, 43);
  await eventually(() => provider.backend.resizes.length > 0, 'the resize');
  t.same(provider.backend.resizes, [[132, 43]]);

  stream.endInput();
  t.match(await stream.waitClosed(), { code: 200, exitCode: 0 });
  await eventually(() => provider.backend.openStreams === 0, 'the backend stream to close');
});

t.test('every byte value passes through untouched, in both directions', async (t) => {
  const provider = await startProvider(t, { sharing: 'none' });
  const link = await provider.connect();
  const stream = link.open({ machine: 'cat-1' });
  await stream.waitOpened();
  const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff));
  bytes[0] = 0x1d; // ^], the usual escape key of a console client
  await stream.write(bytes);
  await until(stream, () => stream.outputBytes.length >= bytes.length, 'all bytes back');
  t.ok(stream.outputBytes.equals(bytes));
});

t.test('a non-zero exit is Close 500 NonZeroExitCode with the exit code', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const stream = link.open({ machine: 'exit-3' });
  await stream.waitOpened();
  await stream.write('go\n');
  t.match(await stream.waitClosed(), { code: 500, reason: 'NonZeroExitCode', exitCode: 3 });
});

t.test('a device console that closes is Close 503 "console closed"', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
  provider.backend.endDevices();
  t.match(await stream.waitClosed(), { code: 503, reason: 'ServiceUnavailable', message: 'console closed' });
});

t.test('an Open the backend refuses is answered with its ConsoleError', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  t.match(await link.open({ machine: 'missing-1' }).waitClosed(), { code: 404, reason: 'NotFound', message: 'machine missing-1 has no console' });
});

t.test('a bad Open is refused with 400 and never reaches the backend', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  t.match(await link.open({ machine: 'Echo_1' }).waitClosed(), { code: 400, message: /invalid machine name "Echo_1"/ });
  t.match(await link.open({ namespace: '../etc', machine: 'echo-1' }).waitClosed(), { code: 400, message: /invalid namespace/ });
  t.match(await link.open({ machine: 'echo-1', window: 10 }).waitClosed(), { code: 400, message: /open.window must be from 1024/ });
  t.match(await link.open({ machine: 'echo-1', takeover: true, readOnly: true }).waitClosed(), { code: 400, message: /exclude each other/ });
  link.link.send({ stream: 4, kind: 'open', open: { namespace: 'default', machine: 'echo-1', window: 65536 } });
  await until(link, () => link.strayFrames.length > 0, 'the answer to an even stream id');
  t.match(link.strayFrames[0], { stream: 4, kind: 'close', close: { code: 400, message: /odd stream ids, increasing/ } });
  t.equal(provider.backend.opened, 0);
});

t.test('frames for a stream that is not open are answered with Close 400; a Close is not answered', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  link.link.send({ stream: 99, kind: 'close', close: { code: 200 } });
  link.link.sendData(99, Buffer.from('\x00hello'));
  link.link.send({ stream: 101, kind: 'credit', credit: { bytes: 10 } });
  await until(link, () => link.strayFrames.length >= 2, 'two answers');
  t.match(link.strayFrames, [
    { stream: 99, kind: 'close', close: { code: 400, message: 'stream 99 is not open' } },
    { stream: 101, kind: 'close', close: { code: 400, message: 'stream 101 is not open' } },
  ]);
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
  t.equal(link.strayFrames.length, 2, 'and nothing else');
});

t.test('a flow-control violation closes only that stream', async (t) => {
  const provider = await startProvider(t, { windowBytes: 4096 });
  const link = await provider.connect();
  const greedy = link.open({ machine: 'echo-1' });
  const polite = link.open({ machine: 'echo-2' });
  t.match(await greedy.waitOpened(), { window: 4096 });
  await polite.waitOpened();
  greedy.sendRaw(Buffer.concat([Buffer.of(0), Buffer.alloc(5000, 'a')]));
  t.match(await greedy.waitClosed(), { code: 400, message: 'flow control window exceeded' });
  await polite.write('still here');
  await polite.waitOutput('still here');
  t.ok(link.link.isOpen);
  await eventually(() => provider.backend.openStreams === 1, 'the greedy stream\'s console to close');
});

t.test('credit for input comes back batched, not one Credit per message', async (t) => {
  const provider = await startProvider(t, { windowBytes: 8192 });
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
  for (let i = 0; i < 100; i++) await stream.write('0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n');
  await until(stream, () => stream.output.split('\n').length > 100, 'all lines back');
  // A quarter of the 8 KiB window per Credit: about 5 for 11 KiB, not 100.
  t.ok(stream.creditFrames >= 4 && stream.creditFrames <= 6, `${stream.creditFrames} Credit frames for ~11 KiB of input`);
});

t.test('a slow stream does not delay a fast stream on the same link', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const slow = link.open({ machine: 'flood-1', window: 64 * 1024, autoCredit: false });
  const fast = link.open({ machine: 'echo-1' });
  await slow.waitOpened();
  await fast.waitOpened();
  // The provider does not cut a frame to fit the credit left, and a frame is at most half the
  // window: it stops somewhere past half of the 64 KiB.
  await until(slow, () => slow.dataBytes > 32 * 1024, 'the slow stream to use up its window');

  const roundTrips: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await fast.write(`ping ${i}\n`);
    await fast.waitOutput(`ping ${i}\n`);
    roundTrips.push(performance.now() - started);
  }
  t.ok(Math.max(...roundTrips) < 250, `fast stream round trips stay short (max ${Math.max(...roundTrips).toFixed(1)} ms)`);
  t.ok(slow.dataBytes <= 64 * 1024, `the provider never sent past the slow stream's credit (${slow.dataBytes} bytes)`);

  slow.grant(64 * 1024);
  await until(slow, () => slow.dataBytes > 64 * 1024, 'the slow stream to resume after credit');
  t.ok(slow.dataBytes <= 128 * 1024);
});

t.test('small output queued while the credit is out leaves in order, in a few larger frames', async (t) => {
  const provider = await startProvider(t, { sharing: 'none' });
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1', window: 4096, autoCredit: false });
  await stream.waitOpened();
  // One line at a time, so that each comes back as its own console read: the first 4 KiB use
  // the credit up, the rest wait in the provider's queue.
  const lines = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(3, '0')} of the console\n`);
  for (const line of lines) {
    await stream.write(line);
    await sleep(1);
  }
  const total = lines.join('').length;
  await eventually(() => provider.backend.deviceBytesWritten >= total, 'every line echoed by the device');
  await until(stream, () => stream.dataBytes >= 4096 - 64, 'the credit used up');
  const framesBefore = stream.dataFrames;
  const linesQueued = lines.length - Math.floor(stream.outputBytes.length / lines[0]!.length);

  stream.grant(64 * 1024);
  await until(stream, () => stream.outputBytes.length >= total, 'every queued line');
  t.equal(stream.output, lines.join(''), 'every byte, in order');
  const framesAfter = stream.dataFrames - framesBefore;
  t.ok(linesQueued > 100 && framesAfter <= 20, `${linesQueued} queued lines left in ${framesAfter} frames`);
});

t.test('a gateway that stops reading its link pauses the console behind it, whatever credit it granted', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  // 256 MiB of credit: without the link's own backpressure the provider would read that much
  // of the console into its socket's buffer.
  const credit = 256 * 1024 * 1024;
  const flood = link.open({ machine: 'flood-1', window: credit, autoCredit: false });
  await flood.waitOpened();
  link.link.socket.pause();
  // The console stops once the kernel's buffers (of the link and of the device) are full.
  let last = -1;
  let steady = 0;
  await eventually(() => {
    const now = provider.backend.deviceBytesWritten;
    steady = now === last ? steady + 1 : 0;
    last = now;
    return steady >= 20;
  }, 'the flood device to stop', 60_000);
  t.ok(last < credit / 2, `the console was paused after ${(last / 2 ** 20).toFixed(1)} MiB of the ${credit / 2 ** 20} MiB of credit`);
  link.link.socket.resume();
  await until(flood, () => flood.dataBytes > last, 'the console to go on once the link is read again', 60_000);
  t.pass('it does');
});

t.test('a dead link detaches its streams from their consoles', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const streams = [link.open({ machine: 'echo-1' }), link.open({ machine: 'echo-2' }), link.open({ machine: 'cat-1' })];
  await Promise.all(streams.map((stream) => stream.waitOpened()));
  t.equal(provider.backend.openStreams, 3);
  link.link.socket.destroy();
  await eventually(() => provider.backend.closed === 3, 'all three backend streams closed');
  t.equal(provider.backend.openStreams, 0);
});

t.test('malformed frames close that link only; another link keeps working', async (t) => {
  const provider = await startProvider(t);
  const broken = await provider.connect();
  const healthy = await provider.connect();
  const victim = broken.open({ machine: 'echo-1' });
  const survivor = healthy.open({ machine: 'echo-2' });
  await victim.waitOpened();
  await survivor.waitOpened();
  broken.link.socket.write(Buffer.from([0x04, 0xff, 0xff, 0xff, 0xff]));
  await broken.waitClosed();
  await eventually(() => provider.backend.openStreams === 1, 'the broken link\'s console to close');
  await survivor.write('alive?\n');
  await survivor.waitOutput('alive?\n');
});

t.test('frames fed to the provider one byte at a time still work', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
  const bytes = encodeFrame({ stream: 1, kind: 'data', data: Buffer.from('\x00one byte at a time\n') });
  for (const byte of bytes) {
    link.link.socket.write(Buffer.of(byte));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await stream.waitOutput('one byte at a time\n');
});

t.test('graceful close: each stream and the link get 503 "provider shutting down"', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
  await provider.server.close(true);
  t.match(stream.closeMessage, { code: 503, message: 'provider shutting down' });
  await link.waitClosed();
  t.match(link.closeError, { name: 'LinkClosedError', close: { code: 503, message: 'provider shutting down' } });
  t.equal(provider.backend.openStreams, 0);
});
