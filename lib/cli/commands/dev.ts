// `ironcore-console dev`: the dev stack on loopback. With --attach MACHINE it opens that
// machine's console in this terminal and tears everything down when the session ends. The
// stack's logs go to a file named at start, never to the terminal a console is attached to.
import { spawn } from 'node:child_process';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { startDevStack } from '../../dev/stack.js';
import { createLogger, fileDestination } from '../logger.js';
import { UsageError, parseCommandArgs, type CliCommand } from '../usage.js';

const summary = 'run the whole stack on this machine (kube fixture, providers, gateway)';

const DEFAULT_MANIFEST = fileURLToPath(new URL('../../../../examples/demo.yaml', import.meta.url));
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

const HELP = `usage: ironcore-console dev [options]

  --manifest FILE   Machines and MachinePools to serve (default examples/demo.yaml)
  --qemu            boot a QEMU guest per machine instead of a shell (needs qemu-system-x86_64)
  --host ADDR       loopback address to serve on (default 127.0.0.1)
  --port N          gateway port (default: any free port)
  --attach MACHINE  open MACHINE's console here; stop the stack when it ends
  --log-file FILE   where the stack's processes log (default: a file in $TMPDIR, named at start)
  -h, --help        this help

The browser link logs in with a one-time code and serves the page over plain HTTP on loopback;
the CLI line uses a kubeconfig with the developer's token (both printed at start).`;

const OPTIONS = {
  manifest: { type: 'string', default: DEFAULT_MANIFEST },
  qemu: { type: 'boolean', default: false },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  attach: { type: 'string' },
  'log-file': { type: 'string' },
} as const;

async function run(argv: string[]): Promise<void> {
  const parsed = parseCommandArgs('dev', { args: argv, options: OPTIONS, strict: true }, HELP);
  if (!parsed) return;
  const { values } = parsed;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port wants a port number, got ${JSON.stringify(values.port)}`);
  // The browser listener is plain HTTP and the token is the developer's: loopback only.
  if (!isLoopback(values.host)) throw new UsageError(`--host must be a loopback address (127.0.0.1, ::1), got ${JSON.stringify(values.host)}`);

  const logFile = values['log-file'] ?? join(tmpdir(), `ironcore-console-dev-${process.pid}.log`);
  const logger = devLogger(logFile, !values.attach);
  const started = Date.now();
  const stack = await startDevStack({ manifest: values.manifest, qemu: values.qemu, host: values.host, port, logger });
  const shown = stack.machines.find((m) => m.name === values.attach) ?? stack.machines[0];
  if (values.attach && shown?.name !== values.attach) {
    await stack.stop();
    throw new UsageError(`--attach: no machine ${JSON.stringify(values.attach)} in the manifest; it has ${stack.machines.map((m) => m.name).join(', ')}`);
  }
  const namespace = shown?.namespace ?? 'default';
  const machine = shown?.name ?? 'MACHINE';
  console.error(
    [
      `dev stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s; its logs go to ${logFile}`,
      `machines: ${stack.machines.map((m) => `${m.namespace}/${m.name}`).join(', ')}`,
      `browser:  ${stack.loginLink(namespace, machine)}   (a one-time login link)`,
      `cli:      node ${MAIN} exec ${machine}${namespace === 'default' ? '' : ` -n ${namespace}`} --kubeconfig ${stack.kubeconfig}`,
      `gateway:  ${stack.gatewayUrl} (CA ${stack.caFile}), for kubectl-style clients with that kubeconfig`,
    ].join('\n'),
  );

  const stopAndExit = (code: number) => void stack.stop().finally(() => process.exit(code));
  if (!values.attach) {
    console.error('press Ctrl-C to stop');
    process.once('SIGINT', () => stopAndExit(0));
    process.once('SIGTERM', () => stopAndExit(0));
    return;
  }
  // The console gets the terminal; the stack goes when it ends, however it ends.
  process.on('SIGINT', () => {});
  const child = spawn(process.execPath, [MAIN, 'exec', machine, '-n', namespace, '--kubeconfig', stack.kubeconfig], { stdio: 'inherit' });
  process.once('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => stopAndExit(code ?? (signal ? 1 : 0)));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Everything to `file`; without an attached console, errors also as one human line on stderr,
 * since then the terminal is the stack's own.
 */
function devLogger(file: string, notify: boolean): Logger {
  const level = process.env.LOG_LEVEL ?? 'info';
  const toFile = fileDestination(file);
  if (!notify) return createLogger(level, toFile);
  const notices = new Writable({
    write(line: Buffer, _encoding, done) {
      process.stderr.write(`dev stack: ${messageOf(line)} (details in ${file})\n`);
      done();
    },
  });
  return createLogger(level, pino.multistream([{ level: level as pino.Level, stream: toFile }, { level: 'error', stream: notices }]));
}

/** A pino line's msg; the line is JSON pino wrote, but a notice must never throw. */
function messageOf(line: Buffer): string {
  try {
    return (JSON.parse(line.toString('utf8')) as { msg?: string }).msg ?? 'an error';
  } catch {
    return 'an error';
  }
}

export const devCommand: CliCommand = { summary, run };
