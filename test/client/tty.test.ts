// The CLI on a real terminal: raw mode and its restoration, the escape key, pastes, resizes,
// the asciicast recording and the log.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PtyRun, cliCommand, leaveWithEscape, useCliStack } from './fixtures/cli.js';

const cli = useCliStack(t);

/** `exec m1 ARGS` on a pty, killed when the test ends; resolves once the remote shell answers. */
async function openConsole(t: Test, args: string[] = [], size?: { cols: number; rows: number }): Promise<PtyRun> {
  const run = new PtyRun(cliCommand(['exec', 'm1', ...args]), cli.env, size);
  t.teardown(() => run.kill());
  await run.waitFor(/Connected to default\/m1 as the writer\./);
  await run.typeAndSee('echo ready-$((20+1))\r', /ready-21/);
  return run;
}

/** The local terminal's settings as `stty -a` shows them. */
function sttyOf(run: PtyRun): string {
  return execFileSync('stty', ['-F', run.marker('TTY')!, '-a'], { encoding: 'utf8' });
}

t.test('raw mode for the session, the escape key alone leaves and restores the terminal', async (t) => {
  const run = await openConsole(t);
  t.match(run.output, /Escape character is \^\] \(type it alone to leave\)/, 'the escape hint is printed');
  const during = sttyOf(run);
  t.match(during, /(^|\s)-icanon\b/, 'no line editing while connected');
  t.match(during, /(^|\s)-echo\b/, 'no local echo while connected');
  // Cooked, ^C would be SIGINT to the CLI; raw, it goes to the remote shell and the session lives on.
  await run.typeAndSee('\x03', /\^C[\s\S]*\$ $/);
  await run.typeAndSee('echo alive-$((1+1))\r', /alive-2/);
  await leaveWithEscape(t, run);
  t.match(run.output, /Disconnected from default\/m1\./);
  t.match(sttyOf(run), /(^|\s)icanon\b/, 'line editing is back');
});

t.test('a paste that contains the escape byte is console input', async (t) => {
  const run = await openConsole(t);
  await run.typeAndSee('echo a\x1db\r', /a\x1db/);
  await run.typeAndSee('echo still-$((2+3))\r', /still-5/);
  await leaveWithEscape(t, run);
});

t.test('--escape picks another key; ^] alone is then input', async (t) => {
  const run = await openConsole(t, ['--escape', '^A']);
  t.match(run.output, /Escape character is \^A/);
  await run.typeAndSee('\x1d', /\^\]/); // the remote terminal echoes it
  await run.typeAndSee('\recho after-$((3+3))\r', /after-6/);
  run.write('\x01');
  t.equal(await run.exitCode(), 0);
  t.equal(run.marker('AFTER'), run.marker('BEFORE'));
});

t.test('the terminal size reaches the console, at the start and on resize', async (t) => {
  const run = await openConsole(t, [], { cols: 91, rows: 27 });
  await run.typeAndSee('stty size\r', /27 91/);
  run.term.resize(101, 33);
  // SIGWINCH reaches the CLI asynchronously: ask until the console has the new size.
  for (let attempt = 0; ; attempt++) {
    try {
      await run.typeAndSee('stty size\r', /33 101/, { timeoutMs: 1000 });
      break;
    } catch (error) {
      if (attempt === 4) throw error;
    }
  }
  await leaveWithEscape(t, run);
});

t.test('SIGTERM ends the session and restores the terminal', async (t) => {
  const run = await openConsole(t);
  const cliPid = execFileSync('pgrep', ['-P', String(run.term.pid)], { encoding: 'utf8' }).trim();
  process.kill(Number(cliPid), 'SIGTERM');
  t.equal(await run.exitCode(), 143, '128 + SIGTERM');
  t.equal(run.marker('AFTER'), run.marker('BEFORE'));
});

// Node itself resets fds 0-2 when the process ends; these check that the session restores the
// terminal when it ends, before anything else is printed and whatever runs after it.
const CLIENT = fileURLToPath(new URL('../../lib/client/index.js', import.meta.url));

t.test('runExec restores the terminal as soon as the session ends', async (t) => {
  const script = `import { execFileSync } from 'node:child_process';
    import { resolveConnection, runExec } from ${JSON.stringify(CLIENT)};
    const code = await runExec({ connection: resolveConnection({}), machine: 'm1', escapeKey: 0x1d });
    const settings = execFileSync('stty', ['-g'], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
    console.log('INSIDE=' + settings.trim());
    process.exit(code);`;
  const run = new PtyRun([process.execPath, '--input-type=module', '-e', script], cli.env);
  t.teardown(() => run.kill());
  await run.waitFor(/Connected to default\/m1 as the writer\./);
  await run.typeAndSee('echo lib-$((9+9))\r', /lib-18/);
  run.write('\x1d');
  t.equal(await run.exitCode(), 0);
  t.equal(run.marker('INSIDE'), run.marker('BEFORE'), 'restored while the process still runs');
});

t.test('an uncaught exception restores the terminal before the process reports it', async (t) => {
  const script = `import { RawModeGuard } from ${JSON.stringify(CLIENT)};
    new RawModeGuard(process.stdin).enter();
    console.log('RAW=' + process.stdin.isRaw);
    process.on('exit', () => console.log('RAW_AT_EXIT=' + process.stdin.isRaw));
    setTimeout(() => { throw new Error('boom'); }, 10);`;
  const run = new PtyRun([process.execPath, '--input-type=module', '-e', script], cli.env);
  t.teardown(() => run.kill());
  t.equal(await run.exitCode(), 1);
  t.equal(run.marker('RAW'), 'true');
  t.equal(run.marker('RAW_AT_EXIT'), 'false', "the guard's exit hook ran first");
  t.match(run.output, /Error: boom/);
  t.equal(run.marker('AFTER'), run.marker('BEFORE'));
});

t.test('--record writes asciicast v2 with resize events; --log appends the output', async (t) => {
  const cast = join(cli.dir, 'session.cast');
  const log = join(cli.dir, 'session.log');
  writeFileSync(log, 'earlier session\n');
  const run = await openConsole(t, ['--record', cast, '--log', log], { cols: 80, rows: 24 });
  run.term.resize(90, 30);
  await run.typeAndSee('echo recorded-$((5*5))\r', /recorded-25/);
  for (let attempt = 0; !readFileSync(cast, 'utf8').includes('"r"') && attempt < 20; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await leaveWithEscape(t, run);

  const [headerLine, ...eventLines] = readFileSync(cast, 'utf8').trimEnd().split('\n');
  const header = JSON.parse(headerLine!);
  t.match(header, { version: 2, width: 80, height: 24, title: 'default/m1', env: { TERM: 'xterm-256color' } });
  t.type(header.timestamp, 'number');
  const events = eventLines.map((line) => JSON.parse(line) as [number, string, string]);
  t.ok(events.every(([time, type, data]) => typeof time === 'number' && ['o', 'r'].includes(type) && typeof data === 'string'));
  t.ok(events.every(([time], i) => i === 0 || time >= events[i - 1]![0]), 'event times never go back');
  t.ok(events.some(([, type, data]) => type === 'r' && data === '90x30'), 'the resize is recorded');
  t.match(events.filter(([, type]) => type === 'o').map(([, , data]) => data).join(''), /recorded-25/);

  const logged = readFileSync(log, 'utf8');
  t.ok(logged.startsWith('earlier session\n'), 'the log is appended to');
  t.match(logged, /recorded-25/);
});
