// Scripts on a shared console (the dev stack's kind): a piped run ends by itself after stdin's
// EOF once the console is quiet, shows no other session's output unless asked, and says with
// its exit code when its input was not delivered.
import t, { type Test } from 'tap';
import { EOF_QUIET_GRACE_MS, INPUT_REFUSED_EXIT_CODE } from '../../lib/client/index.js';
import { PtyRun, cliCommand, leaveWithEscape, runCli, useCliStack } from './fixtures/cli.js';

const cli = useCliStack(t, { sharing: 'shared' });

/** An interactive session on a pty that holds `machine`'s write lock until the test ends. */
async function holdLock(t: Test, machine: string): Promise<PtyRun> {
  const run = new PtyRun(cliCommand(['exec', machine]), cli.env);
  t.teardown(() => run.kill());
  await run.waitFor(/Connected to default\/\S+ as the writer/);
  return run;
}

t.test('stdin EOF: the run leaves once the console has been quiet for the grace, with exit 0', async (t) => {
  const result = await runCli(['exec', 'm1'], { env: cli.env, input: 'echo piped-$((5*5))\n' });
  t.equal(result.code, 0);
  t.match(result.stdout, /^(\$ )?piped-25\r?$/m);
  t.equal(result.stderr, '', 'nothing on stderr');
  t.ok(result.ms >= EOF_QUIET_GRACE_MS, `waited for the quiet grace (${Math.round(result.ms)} ms)`);
  t.ok(result.ms < EOF_QUIET_GRACE_MS + 6000, 'and then left');
});

t.test('--idle-exit overrides the grace after EOF', async (t) => {
  // Longer than the grace, so that the proof is a lower bound: a slow machine only adds to it,
  // and a run that kept the default grace leaves seconds before.
  const idleExitMs = EOF_QUIET_GRACE_MS + 3000;
  const result = await runCli(['exec', 'm1', '--idle-exit', `${idleExitMs}ms`], { env: cli.env, input: 'echo long-$((2+3))\n' });
  t.equal(result.code, 0);
  t.match(result.stdout, /long-5/);
  t.ok(result.ms >= idleExitMs, `waited for --idle-exit, not the grace (${Math.round(result.ms)} ms)`);
});

t.test('without a terminal on stdout the recent output is not replayed; --replay asks for it', async (t) => {
  const writer = await holdLock(t, 'm2');
  await writer.typeAndSee('echo earlier-$((7*6))\r', /earlier-42/);
  const plain = await runCli(['exec', 'm2', '--idle-exit', '500ms'], { env: cli.env, input: '' });
  t.equal(plain.code, 0);
  t.notMatch(plain.stdout, /earlier-42/, 'no other session\'s output');
  const replayed = await runCli(['exec', 'm2', '--replay', '--idle-exit', '500ms'], { env: cli.env, input: '' });
  t.match(replayed.stdout, /earlier-42/, '--replay shows it');
  await leaveWithEscape(t, writer);
});

t.test(`another session holds the write lock: the input is not delivered, exit ${INPUT_REFUSED_EXIT_CODE}`, async (t) => {
  const writer = await holdLock(t, 'm1');
  const result = await runCli(['exec', 'm1'], { env: cli.env, input: 'echo blocked-$((1+1))\n' });
  t.equal(result.code, INPUT_REFUSED_EXIT_CODE);
  t.equal(result.stderr, '[ironcore-console] input not sent: another session holds the write lock (run again with --takeover to write)\n');
  await writer.typeAndSee('echo writer-$((3+3))\r', /writer-6/);
  t.notMatch(writer.output, /blocked-2/, 'the console never saw it');

  const takeover = await runCli(['exec', 'm1', '--takeover'], { env: cli.env, input: 'echo taken-$((4+4))\n' });
  t.equal(takeover.code, 0, '--takeover delivers');
  t.match(takeover.stdout, /taken-8/);
  await writer.waitFor(/another session took the write lock/);
  await leaveWithEscape(t, writer);
});

t.test(`--read-only: input is not delivered (exit ${INPUT_REFUSED_EXIT_CODE}); a watcher without input ends by --idle-exit with 0`, async (t) => {
  const refused = await runCli(['exec', 'm1', '--read-only', '--idle-exit', '1s'], { env: cli.env, input: 'echo nope\n' });
  t.equal(refused.code, INPUT_REFUSED_EXIT_CODE);
  t.equal(refused.stderr, '[ironcore-console] input not sent: this session is read-only\n');
  const watcher = await runCli(['exec', 'm1', '--read-only', '--idle-exit', '500ms'], { env: cli.env, input: '' });
  t.equal(watcher.code, 0, 'stdin\'s end does not end a watcher; --idle-exit does');
  t.equal(watcher.stderr, '');
});
