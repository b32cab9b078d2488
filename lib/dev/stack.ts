// `ironcore-console dev`: the whole product on one machine, in one process tree. A Kubernetes
// API fixture seeded from a manifest, one provider per machine pool (a shell per machine under
// a PTY, or a QEMU guest per machine), and the gateway, all on loopback with fresh TLS. The
// browser gets a second, plain-HTTP listener of the same gateway on loopback (a page there is a
// secure context, and there is no certificate to click through) with a one-time login link.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createKubeGateway, listenGateway } from '../gateway/index.js';
import type { MachinePool } from '../kube/index.js';
import { machinePoolObject, startKubeApi, type KubeApiFixture } from '../kube/fixture/index.js';
import {
  createProviderServer,
  createPtyBackend,
  createUnixSerialBackend,
  type ConsoleBackend,
  type ProviderServer,
} from '../provider/index.js';
import { DEPLOYED_LINGER_MS } from '../provider/defaults.js';
import { CONSOLE_PAGE_PATH } from '../web/index.js';
import { issueClientCert, issueServerCert, makeCA } from './certs.js';
import { DevLoginCodes } from './login-codes.js';
import { loadManifest } from './manifest.js';
import { bootGuest, buildInitramfs, findGuestTools, type Guest } from './qemu-guest.js';

export interface DevStackOptions {
  manifest: string;
  /** Boot a QEMU guest per machine instead of a shell. */
  qemu: boolean;
  host: string;
  /** Gateway port; 0 picks one. */
  port: number;
  logger: Logger;
}

export interface DevStack {
  gatewayUrl: string;
  /** The same gateway over plain HTTP on loopback, for the browser. */
  browserUrl: string;
  /** A link that opens `machine`'s console in a browser, logged in by a fresh one-time code. */
  loginLink(namespace: string, machine: string): string;
  /** The developer's bearer token (the fixture's TokenReview knows it). */
  token: string;
  kubeconfig: string;
  caFile: string;
  machines: { namespace: string; name: string }[];
  stop(): Promise<void>;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const { logger } = options;
  const world = await loadManifest(options.manifest);
  const dir = await mkdtemp(join(tmpdir(), 'ironcore-console-dev-'));
  const stoppers: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch((err: unknown) => logger.warn({ err }, 'dev stack: stop failed'));
  };
  try {
    const ca = await makeCA('ironcore-console dev CA');
    const server = await issueServerCert(ca);
    const gatewayClient = await issueClientCert(ca, { cn: 'ironcore-console-gateway' });
    const files = { ca: join(dir, 'ca.crt'), key: join(dir, 'tls.key'), cert: join(dir, 'tls.crt') };
    await Promise.all([writeFile(files.ca, ca.cert), writeFile(files.key, server.key), writeFile(files.cert, server.cert)]);

    const pools: MachinePool[] = [];
    for (const pool of world.pools) {
      const members = world.machines.filter((m) => m.spec?.machinePoolRef?.name === pool.metadata.name);
      const backend = options.qemu ? await startGuests(members.map((m) => m.metadata), dir, stoppers) : shellBackend();
      const provider: ProviderServer = createProviderServer({
        backend,
        tls: { key: server.key, cert: server.cert, ca: ca.cert },
        sharing: 'shared',
        lingerMs: DEPLOYED_LINGER_MS,
        logger: logger.child({ component: 'provider', pool: pool.metadata.name }),
      });
      const { port } = await provider.listen(0, options.host);
      stoppers.push(() => provider.close(false));
      pools.push(machinePoolObject(pool.metadata.name, [{ type: 'InternalIP', address: options.host }], port));
    }

    const token = `dev-${randomBytes(16).toString('hex')}`;
    const gatewayToken = `gateway-${randomBytes(16).toString('hex')}`;
    const kube: KubeApiFixture = await startKubeApi({
      tls: { key: server.key, cert: server.cert },
      host: options.host,
      objects: [...pools, ...world.machines],
      tokens: { [token]: { username: 'developer', uid: 'dev', groups: ['system:authenticated'] } },
      authorize: (spec) => spec.user === 'developer',
      callerToken: gatewayToken,
    });
    stoppers.push(() => kube.close());

    const kubeGateway = createKubeGateway({
      kube: { server: kube.url, ca: ca.cert, token: () => gatewayToken },
      providerTls: { ca: ca.cert, key: gatewayClient.key, cert: gatewayClient.cert },
      auth: 'kube',
      logger: logger.child({ component: 'gateway' }),
    });
    stoppers.push(() => kubeGateway.close());
    const gateway = await listenGateway(kubeGateway.gateway, {
      host: options.host,
      port: options.port,
      tls: { keyFile: files.key, certFile: files.cert },
    });
    stoppers.push(() => gateway.shutdown(0));
    const gatewayUrl = `https://${options.host}:${gateway.port}`;
    const login = new DevLoginCodes(token);
    const browserListener = await listenGateway(kubeGateway.gateway, { host: options.host, port: 0, mount: (app) => login.mount(app) });
    stoppers.push(() => browserListener.shutdown(0));
    const browserUrl = `http://${options.host}:${browserListener.port}`;

    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, devKubeconfig(gatewayUrl, files.ca, token), { mode: 0o600 });
    return {
      gatewayUrl,
      browserUrl,
      loginLink: (namespace, machine) =>
        `${browserUrl}${CONSOLE_PAGE_PATH}#/${encodeURIComponent(namespace)}/${encodeURIComponent(machine)}?login=${login.issue()}`,
      token,
      kubeconfig,
      caFile: files.ca,
      machines: world.machines.map((m) => ({ namespace: m.metadata.namespace!, name: m.metadata.name! })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A login shell per machine, its prompt naming the machine. */
function shellBackend(): ConsoleBackend {
  const bash = existsSync('/bin/bash');
  return createPtyBackend({
    command: bash ? '/bin/bash' : '/bin/sh',
    args: bash ? ['--norc', '--noprofile'] : [],
    env: { PS1: 'console@${MACHINE}:\\w\\$ ' },
  });
}

/** One QEMU guest per machine, its serial port a unix socket the provider attaches to. */
async function startGuests(machines: { namespace?: string; name?: string }[], dir: string, stoppers: (() => Promise<void>)[]): Promise<ConsoleBackend> {
  const tools = await findGuestTools();
  if (typeof tools === 'string') throw new Error(`--qemu: ${tools}`);
  const initrd = await buildInitramfs(dir, tools.busybox);
  const socketOf = (namespace: string, machine: string) => join(dir, `${namespace}_${machine}.sock`);
  const guests = await Promise.all(
    machines.map((m) => bootGuest({ initrd, tools, serial: { unix: socketOf(m.namespace!, m.name!) } })),
  );
  stoppers.push(() => Promise.all(guests.map((g: Guest) => g.kill())).then(() => undefined));
  return createUnixSerialBackend({ path: socketOf });
}

function devKubeconfig(server: string, caFile: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: dev',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    '- name: developer',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: dev',
    '  context:',
    '    cluster: dev',
    '    user: developer',
    '    namespace: default',
    'current-context: dev',
    '',
  ].join('\n');
}
