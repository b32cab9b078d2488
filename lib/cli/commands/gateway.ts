// `ironcore-console gateway`: serves the exec endpoint. With --workers N, N uWS apps in worker
// threads share the port (the kernel spreads connections over them).
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { parseDuration } from '../../client/duration.js';
import { runGateway, type GatewayConfig } from '../../gateway/run.js';
import { createLogger } from '../logger.js';
import { UsageError, helpRequested } from '../usage.js';

export const summary = 'serve the exec endpoint (the console gateway)';

const HELP = `usage: ironcore-console gateway [options]

  --listen HOST:PORT        address to serve (default :8443)
  --tls-cert FILE, --tls-key FILE
                            serve HTTPS/WSS (plain HTTP without them: development only)
  --client-ca FILE          refuse client certificates not signed by this CA
  --client-cert-listen HOST:PORT
                            a second listener for users with client certificates from --client-ca
                            (CN is the user, O the groups), as kube-apiserver takes them
  --requestheader-listen HOST:PORT, --requestheader-client-ca FILE, --requestheader-allowed-names A,B
                            a second listener for kube-apiserver's front proxy: clients must present
                            a certificate from this CA (and one of these names); X-Remote-User is
                            trusted there and nowhere else
  --provider-ca FILE, --provider-cert FILE, --provider-key FILE
                            mTLS to providers: their CA and the gateway's client certificate
  --provider-insecure       plain TCP to providers (development only)
  --kubeconfig FILE, --context NAME
                            Kubernetes API access (default: the in-cluster service account)
  --auth kube|none          TokenReview + SubjectAccessReview (default), or none (development only)
  --allow-get-verb          also accept RBAC 'get' on machines/exec for GET (older IronCore RBAC)
  --allowed-origin ORIGIN   browser origin allowed to connect (repeatable; default: same origin)
  --machine-cache-ttl DUR   reuse machine lookups this long (default 2s)
  --links-per-provider N    links opened to each provider (default 2)
  --upstream link|websocket multiplexed links (default), or a websocket per session to the
                            provider's per-machine endpoint (providers without the link)
  --workers N               uWS apps in worker threads sharing the port (default 1; 0 = one per CPU)
  --shutdown-grace DUR      on SIGTERM, let sessions run this long before closing them (default 25s)
  -h, --help                this help`;

export function parseGatewayArgs(argv: string[]): { config: GatewayConfig; workers: number } {
  // Help first, whatever else is wrong on the line.
  if (helpRequested(argv)) {
    console.log(HELP);
    process.exit(0);
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: ':8443' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'client-ca': { type: 'string' },
      'client-cert-listen': { type: 'string' },
      'requestheader-listen': { type: 'string' },
      'requestheader-client-ca': { type: 'string' },
      'requestheader-allowed-names': { type: 'string', default: '' },
      'provider-ca': { type: 'string' },
      'provider-cert': { type: 'string' },
      'provider-key': { type: 'string' },
      'provider-insecure': { type: 'boolean', default: false },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      auth: { type: 'string', default: 'kube' },
      'allow-get-verb': { type: 'boolean', default: false },
      'allowed-origin': { type: 'string', multiple: true },
      'machine-cache-ttl': { type: 'string', default: '2s' },
      'links-per-provider': { type: 'string', default: '2' },
      upstream: { type: 'string', default: 'link' },
      workers: { type: 'string', default: '1' },
      'shutdown-grace': { type: 'string', default: '25s' },
    },
  });
  const listen = listenAddress('--listen', values.listen);
  const frontProxy = values['requestheader-listen'] ? listenAddress('--requestheader-listen', values['requestheader-listen']) : undefined;
  if (frontProxy && (!values['requestheader-client-ca'] || !values['tls-cert'])) {
    throw new UsageError('--requestheader-listen needs --requestheader-client-ca and the gateway\'s --tls-cert/--tls-key');
  }
  const clientCertListen = values['client-cert-listen'] ? listenAddress('--client-cert-listen', values['client-cert-listen']) : undefined;
  if (clientCertListen && (!values['client-ca'] || !values['tls-cert'])) {
    throw new UsageError('--client-cert-listen needs --client-ca and the gateway\'s --tls-cert/--tls-key');
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
  if (values.upstream !== 'link' && values.upstream !== 'websocket') throw new UsageError(`--upstream is link or websocket, got ${JSON.stringify(values.upstream)}`);
  if (values.auth !== 'kube' && values.auth !== 'none') throw new UsageError(`--auth is kube or none, got ${JSON.stringify(values.auth)}`);
  const providerFiles = [values['provider-ca'], values['provider-cert'], values['provider-key']];
  if (!values['provider-insecure'] && providerFiles.some((f) => !f)) {
    throw new UsageError('provider links need --provider-ca, --provider-cert and --provider-key (or --provider-insecure for development)');
  }
  const count = (flag: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} wants an integer of at least ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  const workers = count('--workers', values.workers, 0);
  return {
    workers: workers === 0 ? availableParallelism() : workers,
    config: {
      ...listen,
      ...(values['tls-cert'] && {
        tls: { certFile: values['tls-cert'], keyFile: values['tls-key']!, ...(values['client-ca'] && { clientCaFile: values['client-ca'] }) },
      }),
      ...((values.kubeconfig || values.context) && {
        kubeconfig: { ...(values.kubeconfig && { paths: [values.kubeconfig] }), ...(values.context && { context: values.context }) },
      }),
      provider: values['provider-insecure']
        ? 'insecure'
        : { caFile: values['provider-ca']!, certFile: values['provider-cert']!, keyFile: values['provider-key']! },
      auth: values.auth,
      allowGetVerb: values['allow-get-verb'],
      ...(values['allowed-origin'] && { allowedOrigins: values['allowed-origin'] }),
      machineCacheTtlMs: durationFlag(values['machine-cache-ttl'], '--machine-cache-ttl'),
      linksPerProvider: count('--links-per-provider', values['links-per-provider'], 1),
      upstream: values.upstream,
      shutdownGraceMs: durationFlag(values['shutdown-grace'], '--shutdown-grace'),
      ...(frontProxy && {
        requestHeader: {
          ...frontProxy,
          clientCaFile: values['requestheader-client-ca']!,
          allowedNames: values['requestheader-allowed-names'].split(',').filter(Boolean),
        },
      }),
      ...(clientCertListen && {
        clientCertificates: {
          ...clientCertListen,
          clientCaFile: values['client-ca']!,
        },
      }),
    },
  };
}

export async function run(argv: string[]): Promise<void> {
  const { config, workers } = parseGatewayArgs(argv);
  const logger = createLogger();
  const stop = workers > 1 ? await startWorkers(config, workers, logger) : (await runGateway(config, logger)).stop;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    void stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/**
 * Starts the workers on one port. uSockets shares a port between apps only when it was asked
 * for by number, so port 0 is first resolved to a free port here.
 */
async function startWorkers(config: GatewayConfig, count: number, logger: Logger): Promise<() => Promise<void>> {
  const port = config.port || (await freePort(config.host));
  const start = (index: number, port: number) =>
    new Promise<{ worker: Worker; port: number }>((resolve, reject) => {
      // The node:tls relay listeners cannot share a port across threads: the first worker runs them.
      const { requestHeader, clientCertificates, ...shared } = config;
      const workerConfig = index === 0 ? { ...config, port } : { ...shared, port };
      const worker = new Worker(new URL('../gateway-worker.js', import.meta.url), { workerData: { index, config: workerConfig } });
      worker.once('message', (message: { port: number }) => resolve({ worker, port: message.port }));
      worker.once('error', reject);
      worker.once('exit', (code) => code !== 0 && logger.error({ worker: index, code }, 'gateway worker exited'));
    });
  const all = await Promise.all(Array.from({ length: count }, (_, i) => start(i, port)));
  logger.info({ workers: count, port }, 'gateway workers listening');
  return async () => {
    await Promise.all(all.map(({ worker }) => new Promise((resolve) => {
      worker.once('exit', resolve);
      worker.postMessage('stop');
    })));
  };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** HOST:PORT, or :PORT for every address; a UsageError naming `flag` otherwise. */
function listenAddress(flag: string, text: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text);
  if (!match) throw new UsageError(`${flag} wants HOST:PORT or :PORT, got ${JSON.stringify(text)}`);
  return { host: match[1] || '0.0.0.0', port: Number(match[2]) };
}

/** Milliseconds in a duration flag; zero is allowed (no cache, no grace). */
function durationFlag(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} wants a duration such as 500ms, 2s or 1m30s, got ${JSON.stringify(text)}`);
  return ms;
}
