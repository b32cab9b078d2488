import t, { type Test } from 'tap';
import type { OpenRequest } from '../../../lib/provider/backend.js';
import { createPtyBackend, type PtyBackendOptions } from '../../../lib/provider/backends/index.js';
import { ConsoleReader } from './console-reader.js';
import { openFdCount } from './open-fds.js';

const REQUEST: OpenRequest = { namespace: 'ns', machine: 'vm', tty: true };

async function open(t: Test, options: PtyBackendOptions, request: Partial<OpenRequest> = {}) {
  const stream = await createPtyBackend(options).open({ ...REQUEST, ...request });
  t.teardown(() => stream.close());
  return stream;
}

/** A shell running `script`, its output collected. */
async function shell(t: Test, script: string, request: Partial<OpenRequest> = {}, options: PtyBackendOptions = {}) {
  const stream = await open(t, { command: '/bin/sh', args: ['-c', script], ...options }, request);
  return { stream, console: new ConsoleReader(stream) };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(t: Test, what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) return void t.fail(`${what} within ${timeoutMs} ms`);
    await tick(20);
  }
  t.pass(what);
}

t.test('runs on a pty of the requested size, takes input, reports the exit code', async (t) => {
  const { stream, console } = await shell(t, 'stty size; read x; echo got:$x; exit 3', { cols: 100, rows: 30 });
  await console.waitFor(/^30 100\r\n/);
  stream.write(Buffer.from('hello\r'));
  await console.waitFor(/got:hello\r\n/);
  t.same(await console.ended, { exitCode: 3 });
});

t.test('the size defaults to 80x24', async (t) => {
  const { console } = await shell(t, 'stty size');
  await console.waitFor(/^24 80\r\n/);
  t.same(await console.ended, { exitCode: 0 });
});

t.test('resize() changes the size a running shell sees; sizes no terminal has are ignored', async (t) => {
  const stream = await open(t, { command: '/bin/sh', env: { PATH: process.env.PATH, PS1: 'prompt$ ' } });
  const console = new ConsoleReader(stream);
  await console.waitFor(/prompt\$ $/);
  stream.write(Buffer.from('stty size\r'));
  await console.waitFor(/\b24 80\r\n/);
  const from = console.text.length;
  stream.resize!(120, 40);
  stream.resize!(0, 40);
  stream.resize!(120.5, Number.NaN);
  stream.write(Buffer.from('stty size\r'));
  await console.waitFor(/\b40 120\r\n/, 5000, from);
  stream.write(Buffer.from('exit 0\r'));
  t.same(await console.ended, { exitCode: 0 });
});

t.test('the environment names the terminal type and the machine', async (t) => {
  const probe = 'echo "[$TERM|$NAMESPACE|$MACHINE|${FOO:-unset}|${HOME:-unset}]"';
  const inherited = await shell(t, probe);
  await inherited.console.waitFor(/\[xterm-256color\|ns\|vm\|unset\|\//);
  const replaced = await shell(t, probe, {}, { env: { FOO: 'bar', PATH: process.env.PATH } });
  await replaced.console.waitFor(/\[xterm-256color\|ns\|vm\|bar\|unset\]/);
  const ownTerm = await shell(t, probe, {}, { env: { TERM: 'vt100', PATH: process.env.PATH } });
  await ownTerm.console.waitFor(/\[vt100\|/);
});

t.test('arguments can depend on the request', async (t) => {
  const stream = await open(t, { command: '/bin/sh', args: (request) => ['-c', `echo for:${request.namespace}/${request.machine}`] });
  await new ConsoleReader(stream).waitFor(/for:ns\/vm/);
});

t.test('a process killed by a signal reports 128 + the signal number', async (t) => {
  const { console } = await shell(t, 'kill -TERM $$');
  t.same(await console.ended, { exitCode: 128 + 15 });
});

t.test('end() sends end-of-input', async (t) => {
  const { stream, console } = await shell(t, 'read x; echo got:$x; read y || echo eof; exit 5');
  stream.write(Buffer.from('one\r'));
  await console.waitFor(/got:one/);
  stream.end();
  await console.waitFor(/eof/);
  t.same(await console.ended, { exitCode: 5 });
});

t.test('output before the consumer subscribes is kept', async (t) => {
  const stream = await open(t, { command: '/bin/sh', args: ['-c', 'echo early; sleep 5'] });
  await tick(150);
  await new ConsoleReader(stream).waitFor(/early/);
});

t.test('pause() holds output until resume()', async (t) => {
  const { stream, console } = await shell(t, 'read x; echo out:$x; sleep 5');
  stream.pause();
  stream.write(Buffer.from('a\r'));
  await tick(150);
  t.notMatch(console.text, /out:a/, 'nothing delivered while paused');
  stream.resume();
  await console.waitFor(/out:a/);
});

// node-pty destroys the pty 200 ms after its process exits unless its output was read by then.
t.test('output of a process that exits while the consumer is paused is all delivered, then the end', async (t) => {
  const { stream, console } = await shell(t, 'read x; yes line | head -n 1000; exit 4');
  stream.pause();
  stream.write(Buffer.from('go\r'));
  await tick(600);
  stream.resume();
  t.same(await console.ended, { exitCode: 4 }, 'the exit code');
  t.equal(console.text.split('line\r\n').length - 1, 1000, 'every line, though the consumer was paused when the process exited');
});

t.test('output of a process that exited before the consumer subscribed is all delivered', async (t) => {
  const stream = await open(t, { command: '/bin/sh', args: ['-c', 'yes early | head -n 1000'] });
  await tick(600);
  const console = new ConsoleReader(stream);
  t.same(await console.ended, { exitCode: 0 });
  t.equal(console.text.split('early\r\n').length - 1, 1000, 'every line');
});

t.test('a command that cannot start says so on the console and exits 1', async (t) => {
  const stream = await open(t, { command: '/nonexistent/program' });
  const console = new ConsoleReader(stream);
  await console.waitFor(/No such file or directory/);
  t.same(await console.ended, { exitCode: 1 });
});

t.test('close() kills the process and releases the pty', async (t) => {
  const before = await openFdCount();
  const { stream, console } = await shell(t, 'echo pid:$$; exec sleep 1000');
  const pid = Number((await console.waitFor(/pid:(\d+)/))[1]);
  t.ok(isAlive(pid), 'sleep runs');
  stream.onEnd(() => t.fail('onEnd after close()'));
  stream.close();
  stream.close();
  await eventually(t, 'the process is gone', () => !isAlive(pid));
  await eventually(t, 'no file descriptor is left open', async () => (await openFdCount()) === before);
});

t.test('close() kills a process that ignores the hangup after the grace period', async (t) => {
  const { stream, console } = await shell(t, 'trap "" HUP; echo pid:$$; exec sleep 1000', {}, { killGraceMs: 300 });
  const pid = Number((await console.waitFor(/pid:(\d+)/))[1]);
  stream.close();
  await tick(150);
  t.ok(isAlive(pid), 'the hangup alone did not end it');
  await eventually(t, 'SIGKILL ended it', () => !isAlive(pid));
});
