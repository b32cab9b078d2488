// A shared console: --read-only viewers, --takeover of the write lock, --no-replay.
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
  const viewer = await attach(t, 'm1', ['--read-only']);
  await writer.typeAndSee('echo shared-$((4+4))\r', /shared-8/, { seenBy: viewer });
  await viewer.typeAndSee('x', /console is read-only/);
  await leaveWithEscape(t, viewer);
  await leaveWithEscape(t, writer);
});

t.test('--takeover takes the write lock from the session that holds it', async (t) => {
  const first = await attach(t, 'm2');
  await first.typeAndSee('echo first-$((1+1))\r', /first-2/);
  const second = await attach(t, 'm2');
  await second.typeAndSee('y', /another session holds the write lock; reconnect with --takeover/);
  const third = await attach(t, 'm2', ['--takeover']);
  await first.waitFor(/another session took over the write lock/);
  await third.typeAndSee('echo third-$((1+2))\r', /third-3/);
  for (const run of [third, second, first]) await leaveWithEscape(t, run);
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
