// Runs a provider from its config: reads the TLS files, builds the backend, listens, and on
// SIGTERM or SIGINT stops accepting, tells every link and session 503 "provider shutting
// down", and exits. Logs never carry console bytes or credentials.
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { loadInCluster, loadKubeconfig } from '../kube/index.js';
import type { ConsoleBackend } from './backend.js';
import { createPtyBackend, createTcpSerialBackend, createUnixSerialBackend } from './backends/index.js';
import type { BackendConfig, ProviderAuthorizationConfig, ProviderConfig } from './config.js';
import { createProviderServer, type MachinePoolAuthorization, type ProviderTlsOptions } from './server.js';

export interface RunningProvider {
  address: AddressInfo;
  /** Graceful stop, as on SIGTERM, without exiting the process. */
  stop(): Promise<void>;
}

export async function runProvider(config: ProviderConfig, logger: Logger): Promise<RunningProvider> {
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

  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    server.close(true).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    address,
    stop: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      return server.close(true);
    },
  };
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
