// Several sessions on one machine's console: fan-out, the write lock, scrollback, sharing
// modes and backpressure, through real links.
import t from 'tap';
import { eventually, until } from '../link/fixtures/wait.js';
import { startProvider } from './fixtures/provider.js';

t.test('two sessions share one console: the viewer sees output, its stdin is refused with a notice', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const writer = link.open({ machine: 'echo-1' });
  t.match(await writer.waitOpened(), { writer: true });
  const viewer = link.open({ machine: 'echo-1' });
  t.match(await viewer.waitOpened(), { writer: false });
  t.equal(provider.backend.opened, 1, 'one backend stream for both');

  await writer.write('from the writer\n');
  await writer.waitOutput('from the writer\n');
  await viewer.waitOutput('from the writer\n');

  await viewer.write('from the viewer\n');
  await viewer.waitNotice('console is read-only: another session holds the write lock; reconnect with --takeover');
  await viewer.write('again\n');
  await writer.write('marker\n');
  await viewer.waitOutput('marker\n');
  t.notMatch(writer.output + viewer.output, /from the viewer|again/, 'the viewer\'s input never reached the console');
  t.equal(viewer.notices.match(/read-only/g)?.length, 1, 'at most one notice a second');
  t.equal(writer.notices, '');
});

t.test('takeover moves the write lock; the previous writer is told and becomes a viewer', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const first = link.open({ machine: 'echo-1' });
  await first.waitOpened();
  const second = link.open({ machine: 'echo-1', takeover: true });
  t.match(await second.waitOpened(), { writer: true });
  await first.waitNotice('another session took over the write lock; this session is now read-only');
  await second.write('mine now\n');
  await first.waitOutput('mine now\n');
  await first.write('not yours\n');
  await first.waitNotice('console is read-only');
  await second.write('end\n');
  await second.waitOutput('end\n');
  t.notMatch(second.output, /not yours/);
});

t.test('read-only sessions and sessions without stdin never take the lock', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const readOnly = link.open({ machine: 'echo-1', readOnly: true });
  t.match(await readOnly.waitOpened(), { writer: false });
  await readOnly.write('x');
  await readOnly.waitNotice('console is read-only: this session was opened read-only');
  const noStdin = link.open({ machine: 'echo-1', stdin: false });
  t.match(await noStdin.waitOpened(), { writer: false });
  await noStdin.write('x');
  await noStdin.waitNotice('this session was opened without stdin');
  const writer = link.open({ machine: 'echo-1' });
  t.match(await writer.waitOpened(), { writer: true }, 'the lock was still free');
});

t.test('when the writer leaves, the lock goes to the first session that types', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const writer = link.open({ machine: 'echo-1' });
  await writer.waitOpened();
  const viewer = link.open({ machine: 'echo-1' });
  await viewer.waitOpened();
  writer.close();
  await viewer.write('my turn\n');
  await viewer.waitOutput('my turn\n');
  t.equal(viewer.notices, '');
});

t.test('scrollback is replayed to a new session before live output; no_replay skips it', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 1024 });
  const link = await provider.connect();
  const writer = link.open({ machine: 'echo-1' });
  await writer.waitOpened();
  await writer.write('login: ');
  await writer.waitOutput('login: ');

  const late = link.open({ machine: 'echo-1' });
  await late.waitOpened();
  await late.waitOutput('login: ');
  const noReplay = link.open({ machine: 'echo-1', noReplay: true });
  await noReplay.waitOpened();
  await writer.write('root\n');
  await late.waitOutput('login: root\n');
  await noReplay.waitOutput('root\n');
  t.equal(noReplay.output, 'root\n');

  await writer.write('x'.repeat(3000));
  await writer.waitOutput('x'.repeat(3000));
  const afterMore = link.open({ machine: 'echo-1' });
  await afterMore.waitOpened();
  await until(afterMore, () => afterMore.output.length >= 1024, 'the replay');
  t.equal(afterMore.output, 'x'.repeat(1024), 'only the latest scrollbackBytes are kept');
});

t.test('no byte is lost or duplicated between the replay and live output', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 64 * 1024 });
  const link = await provider.connect();
  const writer = link.open({ machine: 'echo-1' });
  await writer.waitOpened();
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i}\n`);
  let joiner: ReturnType<typeof link.open> | undefined;
  for (const [i, line] of lines.entries()) {
    if (i === 200) joiner = link.open({ machine: 'echo-1' });
    await writer.write(line);
  }
  await writer.waitOutput('line 399\n');
  await joiner!.waitOutput('line 399\n');
  t.equal(writer.output, lines.join(''));
  t.ok(writer.output.endsWith(joiner!.output), 'the joiner saw a gapless, duplicate-free tail');
  t.ok(joiner!.output.length > lines.slice(200).join('').length, 'including output from before it joined');
});

t.test('exclusive mode refuses a second session with 409', async (t) => {
  const provider = await startProvider(t, { sharing: 'exclusive' });
  const link = await provider.connect();
  const first = link.open({ machine: 'echo-1' });
  const second = link.open({ machine: 'echo-1' }); // while the first is still opening
  await first.waitOpened();
  t.match(await second.waitClosed(), { code: 409, reason: 'Conflict', message: 'machine echo-1 already has an open console session' });
  const third = link.open({ machine: 'echo-1' });
  t.match(await third.waitClosed(), { code: 409 });
  first.close();
  await eventually(() => provider.backend.openStreams === 0, 'the console to close');
  const fourth = link.open({ machine: 'echo-1' });
  t.match(await fourth.waitOpened(), { writer: true }, 'free again once the first left');
});

t.test('sharing none: each session gets its own backend stream', async (t) => {
  const provider = await startProvider(t, { sharing: 'none' });
  const link = await provider.connect();
  const a = link.open({ machine: 'cat-1' });
  const b = link.open({ machine: 'cat-1' });
  t.match(await a.waitOpened(), { writer: true });
  t.match(await b.waitOpened(), { writer: true });
  t.equal(provider.backend.opened, 2);
  await a.write('only a\n');
  await b.write('only b\n');
  await a.waitOutput('only a\n');
  await b.waitOutput('only b\n');
  t.equal(a.output, 'only a\n');
  t.equal(b.output, 'only b\n');
});

t.test('the console closes when its last session leaves, and not before', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const a = link.open({ machine: 'echo-1' });
  const b = link.open({ machine: 'echo-1' });
  await a.waitOpened();
  await b.waitOpened();
  a.close();
  await b.write('still open\n');
  await b.waitOutput('still open\n');
  t.equal(provider.backend.closed, 0);
  b.close();
  await eventually(() => provider.backend.closed === 1, 'the console to close');
});

t.test('a stalled viewer pauses the console, then is closed so the others go on', async (t) => {
  const provider = await startProvider(t, { stallTimeoutMs: 300, sessionHighWaterBytes: 32 * 1024 });
  const link = await provider.connect();
  const writer = link.open({ machine: 'flood-1' });
  await writer.waitOpened();
  const viewer = link.open({ machine: 'flood-1', autoCredit: false, window: 4096, noReplay: true });
  await viewer.waitOpened();
  // Frames of at most half its window, never cut to fit: it stops past half of the 4 KiB.
  await until(viewer, () => viewer.dataBytes > 2048, 'the viewer to use up its window');

  // The viewer's queue fills up and the console pauses: the writer's output stops growing.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const pausedAt = writer.dataBytes;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.ok(writer.dataBytes - pausedAt < 256 * 1024, `the console paused (${writer.dataBytes - pausedAt} bytes in 100 ms)`);

  t.match(await viewer.waitClosed(), { code: 504, reason: 'Timeout', message: /console viewer closed: it read no output for 0.3s/ });
  const resumedFrom = writer.dataBytes;
  await until(writer, () => writer.dataBytes > resumedFrom + 1024 * 1024, 'the writer to get output again');
});

t.test('a stalled writer keeps the console paused (it is its session) and bounds what is queued', async (t) => {
  const provider = await startProvider(t, { stallTimeoutMs: 200, sessionHighWaterBytes: 32 * 1024 });
  const link = await provider.connect();
  const writer = link.open({ machine: 'flood-1', autoCredit: false, window: 4096 });
  await writer.waitOpened();
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.equal(writer.closeMessage, undefined, 'the writer is not dropped');
  t.ok(writer.dataBytes <= 4096);
  writer.grant(1024 * 1024);
  await until(writer, () => writer.dataBytes > 512 * 1024, 'output after credit');
});
