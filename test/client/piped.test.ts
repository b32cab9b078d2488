// The CLI without a terminal: stdin streamed, half-closed at EOF, the remote exit code, --idle-exit.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, useCliStack } from './fixtures/cli.js';

const cli = useCliStack(t);

t.test('the console exit code is the CLI exit code', async (t) => {
  const result = await runCli(['exec', 'm1'], { env: cli.env, input: 'echo hi-$((3+4)); exit 7\n' });
  t.equal(result.code, 7);
  t.match(result.stdout, /^(\$ )?hi-7\r?$/m, 'the output, after the echoed command');
  t.equal(result.stderr, '', 'nothing on stderr: the code says it');
});

t.test('stdin EOF half-closes the console input (v5), and a clean end is exit 0', async (t) => {
  const result = await runCli(['console', 'm1', '--log', join(cli.dir, 'piped.log')], { env: cli.env, input: 'echo eof-$((2*4))\n' });
  t.equal(result.code, 0);
  t.match(result.stdout, /^(\$ )?eof-8\r?$/m);
  t.match(readFileSync(join(cli.dir, 'piped.log'), 'utf8'), /eof-8/, '--log has the output');
});

t.test('--idle-exit leaves after that long without output, though stdin stays open', async (t) => {
  const result = await runCli(['exec', 'm1', '--idle-exit', '700ms'], { env: cli.env, input: 'echo idle-$((1+1))\n', keepStdinOpen: true });
  t.equal(result.code, 0);
  t.match(result.stdout, /idle-2/);
  t.ok(result.ms >= 700, `waited for the idle time (${Math.round(result.ms)} ms)`);
  t.ok(result.ms < 5000, 'and not much longer');
});

t.test('--tty without a terminal asks for a tty but needs no raw mode', async (t) => {
  const result = await runCli(['exec', 'm1', '--tty'], { env: cli.env, input: 'exit 0\n' });
  t.equal(result.code, 0);
  t.notMatch(result.stderr, /Escape character/, 'no escape hint without a terminal');
});
