// A shared console: the banner says each session's role, role changes are one line each,
// --read-only viewers, --takeover of the write lock, --replay/--no-replay.
import t, { type Test } from 'tap';
import { PtyRun, cliCommand, leaveWithEscape, useCliStack } from './fixtures/cli.js';

const cli = useCliStack(t, { sharing: 'shared' });

/** `exec MACHINE ARGS` on a pty, killed when the test ends. */
async function attach(t: Test, machine: string, args: string[] = []): Promise<PtyRun> {
  const run = new PtyRun(cliCommand(['exec', machine, ...args]), cli.env);
  t.teardown(() => run.kill());
  await run.waitFor(/Connected to default\//);
  return run;
}

t.test('--read-only attaches a viewer: it sees the output, its keys are refused with a notice', async (t) => {
  const writer = await attach(t, 'm1');
  t.match(writer.output, /Connected to default\/m1 as the writer\. Escape character is \^\]/);
  const viewer = await attach(t, 'm1', ['--read-only']);
  t.match(viewer.output, /Connected to default\/m1 read-only\. Escape character is \^\]/);
  await writer.typeAndSee('echo shared-$((4+4))\r', /shared-8/, { seenBy: viewer });
  await viewer.typeAndSee('x', /\[ironcore-console\] input not sent: this session is read-only\r+\n/);
  t.notMatch(viewer.output, /stdin/, 'no jargon');
  await leaveWithEscape(t, viewer);
  await leaveWithEscape(t, writer);
});

t.test('--takeover takes the write lock from the session that holds it; each change is one line', async (t) => {
  const first = await attach(t, 'm2');
  await first.typeAndSee('echo first-$((1+1))\r', /first-2/);
  const second = await attach(t, 'm2');
  t.match(second.output, /Connected to default\/m2 as a viewer: \^\] then --takeover to write\./, 'the banner says it at once');
  await second.typeAndSee('y', /input not sent: another session holds the write lock \(\^\] then --takeover to write\)/);
  const third = await attach(t, 'm2', ['--takeover']);
  t.match(third.output, /as the writer/);
  await first.waitFor(/\[ironcore-console\] another session took the write lock: you are a viewer now \(\^\] then --takeover to write\)\r+\n/);
  await third.typeAndSee('echo third-$((1+2))\r', /third-3/);
  await leaveWithEscape(t, third);
  // The lock goes to the session that waited longest, which is told so.
  await first.waitFor(/\[ironcore-console\] the write lock is yours now: you are the writer\r+\n/);
  await first.typeAndSee('echo back-$((2+2))\r', /back-4/, { seenBy: second });
  t.notMatch(second.output, /the write lock is yours/, 'the other viewer stays a viewer, and is not told');
  for (const run of [second, first]) await leaveWithEscape(t, run);
});

t.test('when the console ends, its sessions end with it and nobody is told the lock moved', async (t) => {
  const writer = await attach(t, 'm1');
  const viewer = await attach(t, 'm1');
  t.match(viewer.output, /as a viewer/);
  writer.write('exit 3\r');
  t.equal(await writer.exitCode(), 3, 'the console\'s exit code');
  await viewer.exitCode();
  t.notMatch(viewer.output, /write lock is yours/);
});

t.test('--no-replay skips the recent output a new session would see first', async (t) => {
  const writer = await attach(t, 'm1');
  await writer.typeAndSee('echo earlier-$((6*7))\r', /earlier-42/);
  const replayed = await attach(t, 'm1', ['--read-only']);
  await replayed.waitFor(/earlier-42/);
  const fresh = await attach(t, 'm1', ['--read-only', '--no-replay']);
  await writer.typeAndSee('echo later-$((6*8))\r', /later-48/, { seenBy: fresh });
  t.notMatch(fresh.output, /earlier-42/, 'no replay');
  for (const run of [fresh, replayed, writer]) await leaveWithEscape(t, run);
});
