// Every command of the CLI: -h/--help, --version, and usage errors that are one line each.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseProviderConfig, PROVIDER_CONFIG_EXAMPLE } from '../../lib/provider/index.js';
import { cliEnv, runCli, tempDir } from './fixtures/cli.js';

t.jobs = 4;
const home = tempDir('client-commands-');
t.teardown(() => home.remove());
const env = cliEnv(home.path);

for (const command of ['exec', 'console', 'dev', 'gateway', 'provider']) {
  t.test(`${command} --help and -h print its usage and exit 0`, async (t) => {
    const name = command === 'console' ? 'exec' : command;
    for (const flag of ['--help', '-h']) {
      // After another flag too: help wins, whatever else is on the line.
      const result = await runCli([command, '--no-such-flag', flag], { env });
      t.equal(result.code, 0, flag);
      t.match(result.stdout, new RegExp(`^usage: ironcore-console ${name}\\b`), flag);
      t.equal(result.stderr, '', flag);
    }
  });
}

t.test('--version prints the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const result = await runCli(['--version'], { env });
  t.equal(result.code, 0);
  t.equal(result.stdout, `ironcore-console ${version}\n`);
});

t.test('usage errors are one line on stderr and exit 2, with no stack and no help dump', async (t) => {
  const cases: [string[], RegExp][] = [
    [['exec'], /^ironcore-console: exec needs exactly one MACHINE name, got 0 \(usage: ironcore-console exec MACHINE \[options\]; see --help\)$/],
    [['exec', 'm1', '--frobnicate'], /^ironcore-console: exec: unknown option --frobnicate \(see `ironcore-console exec --help`\)$/],
    [['console', 'm1', '--kubeconfig'], /^ironcore-console: exec: Option '--kubeconfig <value>' argument missing \(see `ironcore-console exec --help`\)$/],
    [['provider'], /^ironcore-console: provider needs --config FILE \(`ironcore-console provider --help` shows the file's keys\)$/],
    [['provider', '--conf', 'x'], /^ironcore-console: provider: unknown option --conf/],
    [['provider', 'extra'], /^ironcore-console: provider: unexpected argument extra/],
    [['gateway', '--lisen', ':1'], /^ironcore-console: gateway: unknown option --lisen \(see `ironcore-console gateway --help`\)$/],
    [['dev', '--qmeu'], /^ironcore-console: dev: unknown option --qmeu/],
    [['frobnicate'], /^ironcore-console: unknown command "frobnicate"; the commands are dev, gateway, provider, exec \(see `ironcore-console --help`\)$/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, { env })));
  results.forEach((result, i) => {
    const [args, message] = cases[i]!;
    t.equal(result.code, 2, args.join(' '));
    t.equal(result.stderr.split('\n').length, 2, `${args.join(' ')}: one line`);
    t.match(result.stderr.trimEnd(), message, args.join(' '));
    t.equal(result.stdout, '', `${args.join(' ')}: nothing on stdout`);
  });
});

t.test('provider --help shows the config file, and that example is a valid config', async (t) => {
  const result = await runCli(['provider', '--help'], { env });
  t.match(result.stdout, /backend:\n\s+kind: unix-serial/);
  t.notMatch(result.stdout, /lib\/provider/, 'no source file to read');
  t.match(parseProviderConfig(PROVIDER_CONFIG_EXAMPLE), { listen: { port: 12319 }, backend: { kind: 'unix-serial' } });
});
