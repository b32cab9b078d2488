// `ironcore-console dev`: the dev stack on loopback. With --attach MACHINE it opens that
// machine's console in this terminal and tears everything down when the session ends.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDevStack } from '../../dev/stack.js';
import { createLogger } from '../logger.js';
import { UsageError } from '../usage.js';

export const summary = 'run the whole stack on this machine (kube fixture, providers, gateway)';

const DEFAULT_MANIFEST = fileURLToPath(new URL('../../../../examples/demo.yaml', import.meta.url));
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

const HELP = `usage: ironcore-console dev [options]

  --manifest FILE   Machines and MachinePools to serve (default examples/demo.yaml)
  --qemu            boot a QEMU guest per machine instead of a shell (needs qemu-system-x86_64)
  --host ADDR       loopback address to serve on (default 127.0.0.1)
  --port N          gateway port (default: any free port)
  --attach MACHINE  open MACHINE's console here; stop the stack when it ends`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifest: { type: 'string', default: DEFAULT_MANIFEST },
      qemu: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      attach: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(HELP);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port wants a port number, got ${JSON.stringify(values.port)}`);

  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const started = Date.now();
  const stack = await startDevStack({ manifest: values.manifest, qemu: values.qemu, host: values.host, port, logger });
  const first = stack.machines[0];
  const exec = (machine: string) => `node ${MAIN} exec ${machine} --kubeconfig ${stack.kubeconfig}`;
  console.error(
    [
      `dev stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s: gateway ${stack.gatewayUrl} (CA ${stack.caFile})`,
      `machines: ${stack.machines.map((m) => `${m.namespace}/${m.name}`).join(', ')}`,
      `browser:  ${stack.gatewayUrl}/console/#/${first?.namespace ?? 'default'}/${first?.name ?? 'MACHINE'}  token: ${stack.token}`,
      `cli:      ${exec(first?.name ?? 'MACHINE')}`,
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
  const child = spawn(process.execPath, [MAIN, 'exec', values.attach, '--kubeconfig', stack.kubeconfig], { stdio: 'inherit' });
  process.once('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => stopAndExit(code ?? (signal ? 1 : 0)));
}
