// Runs a provider from its config: reads the TLS files, builds the backend and listens; stop()
// stops accepting and tells every link and session 503 "provider shutting down". Signals and
// the process's exit are the caller's (lib/cli). Logs never carry console bytes or credentials.
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { silentLogger } from '../link/index.js';
import { loadInCluster, loadKubeconfig } from '../kube/index.js';
import type { ConsoleBackend } from './backend.js';
import { createPtyBackend, createTcpSerialBackend, createUnixSerialBackend } from './backends/index.js';
import type { BackendConfig, ProviderAuthorizationConfig, ProviderConfig } from './config.js';
import { createProviderServer, type MachinePoolAuthorization, type ProviderTlsOptions } from './server.js';

/** A provider runProvider started. */
export interface RunningProvider {
  /** The bound address and port. */
  address: AddressInfo;
  /** Graceful stop: links and sessions get 503 "provider shutting down", then the server closes. */
  stop(): Promise<void>;
}

/**
 * A provider serving as its config file says (loadProviderConfig), until `stop()`.
 *
 * @example
 * ```js
 * const running = await runProvider(await loadProviderConfig('provider.yaml'), logger);
 * process.once('SIGTERM', () => running.stop());
 * ```
 */
export async function runProvider(config: ProviderConfig, logger: Logger = silentLogger): Promise<RunningProvider> {
  const server = createProviderServer({
    backend: createBackend(config.backend),
    tls: config.tls ? await loadTls(config) : false,
    ...(config.authorization && { authorization: loadAuthorization(config.authorization) }),
    sharing: config.sharing,
    scrollbackBytes: config.scrollbackBytes,
    stallTimeoutMs: config.stallTimeoutSeconds * 1000,
    lingerMs: config.lingerSeconds * 1000,
    logger,
  });
  const address = await server.listen(config.listen.port, config.listen.host);
  logger.info({ port: address.port, backend: config.backend.kind, sharing: config.sharing }, 'provider started');
  return { address, stop: () => server.close(true) };
}

function loadAuthorization({ machinePool, kube }: ProviderAuthorizationConfig): MachinePoolAuthorization {
  return {
    machinePool,
    kube: kube.kubeconfig ? loadKubeconfig({ paths: [kube.kubeconfig], ...(kube.context && { context: kube.context }) }) : loadInCluster(),
  };
}

function createBackend(backend: BackendConfig): ConsoleBackend {
  switch (backend.kind) {
    case 'unix-serial':
      return createUnixSerialBackend({ path: backend.path });
    case 'tcp-serial':
      return createTcpSerialBackend({ address: backend.address });
    case 'pty':
      return createPtyBackend({ command: backend.command, args: backend.args, env: backend.env, cwd: backend.cwd });
  }
}

async function loadTls(config: ProviderConfig): Promise<ProviderTlsOptions> {
  const files = config.tls!;
  const [cert, key, ca] = await Promise.all([
    readFile(files.certFile),
    readFile(files.keyFile),
    files.clientCAFile ? readFile(files.clientCAFile) : undefined,
  ]);
  return { cert, key, ca, requireClientCert: !config.insecureNoClientAuth, allowedSubjects: files.allowedSubjects };
}
