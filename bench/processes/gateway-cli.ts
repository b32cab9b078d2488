// The peer "gateway-workers": `ironcore-console gateway --workers N`, the command a deployment
// runs, supervised here so that it never outlives the bench. Its worker threads share one
// process, whose CPU time is theirs together. Configured as processes/gateway.ts configures the
// library (link upstream, uWS public listener), through a kubeconfig for the stand-in API.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GATEWAY_SA_TOKEN } from '../fixture-names.js';
import type { GatewayProcessOptions } from './gateway.js';
import { waitUntilReady } from './gateway-ready.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface GatewayCliOptions extends Pick<GatewayProcessOptions, 'kubeUrl' | 'caFile' | 'auth' | 'tls' | 'linksPerProvider'> {
  workers: number;
}

export interface GatewayCliReady {
  port: number;
  /** The gateway command's process (this one only supervises it). */
  gatewayPid: number;
}

const START_TIMEOUT_MS = 20_000;
const MAIN = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));

const options = childOptions<GatewayCliOptions>();
const dir = mkdtempSync(join(tmpdir(), 'ironcore-bench-gateway-'));
const kubeconfig = join(dir, 'kubeconfig');
const portFile = join(dir, 'ports');
writeFileSync(kubeconfig, JSON.stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'bench', cluster: { server: options.kubeUrl, 'certificate-authority-data': readFileSync(options.caFile).toString('base64') } }],
  users: [{ name: 'gateway', user: { token: GATEWAY_SA_TOKEN } }],
  contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'gateway' } }],
  'current-context': 'bench',
}), { mode: 0o600 });

const tls = options.tls;
const args = [
  MAIN, 'gateway', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--auth', options.auth,
  '--workers', String(options.workers), '--port-file', portFile, '--shutdown-grace', '0s',
  ...(options.linksPerProvider ? ['--links-per-provider', String(options.linksPerProvider)] : []),
  ...(tls
    ? ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--provider-ca', options.caFile, '--provider-cert', tls.clientCertFile, '--provider-key', tls.clientKeyFile]
    : ['--provider-insecure']),
];
const gateway = spawn(process.execPath, [...process.execArgv.filter((arg) => arg.startsWith('--cpu-prof')), ...args], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, LOG_LEVEL: 'error' },
});
process.once('exit', () => {
  gateway.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});
const port = await publicPort();
await waitUntilReady(port, Boolean(tls), readFileSync(options.caFile));
serveParent({ port, gatewayPid: gateway.pid! } satisfies GatewayCliReady, {});

/** The port file's "public HOST:PORT" line, once the command has written it. */
async function publicPort(): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (gateway.exitCode !== null) throw new Error(`the gateway command exited (code ${gateway.exitCode})`);
    const line = readPortFile().find((entry) => entry.startsWith('public '));
    if (line) return Number(line.slice(line.lastIndexOf(':') + 1));
    if (Date.now() > deadline) throw new Error(`the gateway command wrote no port file within ${START_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}

function readPortFile(): string[] {
  try {
    return readFileSync(portFile, 'utf8').split('\n');
  } catch {
    return [];
  }
}
