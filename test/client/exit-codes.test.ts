// Every way the CLI fails has its exit code and a message that says what to do.
import t from 'tap';
import { createServer } from 'node:net';
import { BOB } from '../fixtures/stack.js';
import { execCommand } from '../../lib/cli/commands/exec.js';
import { runCli, useCliStack } from './fixtures/cli.js';

// The cases are independent: run them side by side.
t.jobs = 4;
const cli = useCliStack(t);

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('usage errors exit 2 before anything connects', async (t) => {
  const cases: [string[], RegExp][] = [
    [['exec'], /exactly one MACHINE/],
    [['exec', 'Bad_Name'], /invalid machine name "Bad_Name"/],
    [['exec', 'm1', '--frobnicate'], /^ironcore-console: exec: unknown option --frobnicate \(see `ironcore-console exec --help`\)\n$/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, { env: cli.env })));
  results.forEach((result, i) => {
    t.equal(result.code, 2, cases[i]![0].join(' '));
    t.match(result.stderr, cases[i]![1]);
  });
});

t.test('every bad flag is a usage error (in process: the CLI maps UsageError to exit 2, as above)', async (t) => {
  const cases: [string[], RegExp][] = [
    [['m1', 'm2'], /exactly one MACHINE/],
    [['m1', '-n', 'No/Such'], /invalid namespace/],
    [['m1', '--escape', 'x'], /invalid --escape "x"/],
    [['m1', '--idle-exit', 'soon'], /invalid --idle-exit "soon"/],
    [['m1', '--idle-exit', '0s'], /invalid --idle-exit "0s": use a positive duration/],
    [['m1', '--read-only', '--takeover'], /--read-only and --takeover exclude each other/],
    [['m1', '--tty', '--no-tty'], /--tty and --no-tty exclude each other/],
    [['m1', '--server', 'ftp://example.invalid'], /must be an https:\/\//],
    [['m1', '--insecure-skip-tls-verify', '--certificate-authority', 'ca.pem'], /exclude each other/],
  ];
  for (const [args, message] of cases) {
    await t.rejects(execCommand.run([...args, '--kubeconfig', cli.kubeconfig]), { name: 'UsageError', message }, args.join(' '));
  }
});

t.test('401 and 403 exit 3', async (t) => {
  const [unauthorized, forbidden] = await Promise.all([
    runCli(['exec', 'm1', '--token', 'not-a-valid-token'], { env: cli.env }),
    runCli(['exec', 'm1', '--token', BOB], { env: cli.env }),
  ]);
  t.equal(unauthorized.code, 3);
  t.match(unauthorized.stderr, /the gateway did not accept your credentials: Unauthorized; check your kubeconfig\/--token/);
  t.notMatch(unauthorized.stderr, /not-a-valid-token/, 'the token is not printed');
  t.equal(forbidden.code, 3);
  t.match(forbidden.stderr, /you may not open the console of default\/m1: .*User "bob" cannot create/);
});

t.test('a missing machine, or a missing pool, exits 4', async (t) => {
  const [machine, pool] = await Promise.all([runCli(['exec', 'no-such-machine'], { env: cli.env }), runCli(['exec', 'orphan'], { env: cli.env })]);
  t.equal(machine.code, 4);
  t.match(machine.stderr, /"no-such-machine" not found; check the machine name and the namespace \(-n\)/);
  t.equal(pool.code, 4);
  t.match(pool.stderr, /"missing-pool" not found: the machine's pool is gone/);
});

t.test('an unreachable gateway exits 5', async (t) => {
  const result = await runCli(['exec', 'm1', '--server', `https://127.0.0.1:${await closedPort()}`], { env: cli.env });
  t.equal(result.code, 5);
  t.match(result.stderr, /cannot connect to the gateway at 127\.0\.0\.1:\d+: connection refused/);
});

t.test('other refusals exit 1 with the gateway\'s message', async (t) => {
  const result = await runCli(['exec', 'unscheduled'], { env: cli.env });
  t.equal(result.code, 1);
  t.match(result.stderr, /HTTP 400\): machine unscheduled has no machine pool assigned/);
});

t.test('--help exits 0 and describes the options', async (t) => {
  const result = await runCli(['exec', '--help'], { env: cli.env });
  t.equal(result.code, 0);
  t.match(result.stdout, /--idle-exit DURATION/);
});
