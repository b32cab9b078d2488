// `ironcore-console gateway`: serves the exec endpoint. With --workers N, N uWS apps in worker
// threads share the port (the kernel spreads connections over them).
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { formatDuration, parseDuration } from '../../client/duration.js';
import { AUDIT_LOG_DEFAULTS, auditTroubleLogger, openAuditLog } from '../../gateway/audit-log.js';
import { DEFAULT_LINKS_PER_PROVIDER } from '../../gateway/create-upstream.js';
import { DEFAULT_MACHINE_CACHE_TTL_MS } from '../../gateway/kube-gateway.js';
import { REVIEW_CACHE_DEFAULTS } from '../../kube/index.js';
import { newFrontKey } from '../../gateway/front-key.js';
import type { PrivateAddress } from '../../gateway/private-app.js';
import { runGateway, type BoundListener, type GatewayConfig } from '../../gateway/run.js';
import { createLogger } from '../logger.js';
import { stopOnSignal } from '../stop-on-signal.js';
import { PORT_FILE_FORMAT, writePortFile } from '../port-file.js';
import { UsageError, helpRequested, type CliCommand } from '../usage.js';

const summary = 'serve the exec endpoint (the console gateway)';

/** --audit-log-maxsize counts MiB. */
const MIB = 1024 * 1024;
/** The library's defaults, as the flags write them. */
const FLAG_DEFAULTS = {
  machineCacheTtl: formatDuration(DEFAULT_MACHINE_CACHE_TTL_MS),
  linksPerProvider: String(DEFAULT_LINKS_PER_PROVIDER),
  tokenTtl: formatDuration(REVIEW_CACHE_DEFAULTS.tokenTtlMs),
  allowedTtl: formatDuration(REVIEW_CACHE_DEFAULTS.allowedTtlMs),
  deniedTtl: formatDuration(REVIEW_CACHE_DEFAULTS.deniedTtlMs),
  auditLogMaxSize: String(AUDIT_LOG_DEFAULTS.maxBytes / MIB),
  auditLogMaxBackup: String(AUDIT_LOG_DEFAULTS.maxBackups),
};

const HELP = `usage: ironcore-console gateway [options]

  --listen HOST:PORT        address to serve (default :8443): websocket exec (GET; v5/v4/base64
                            channel.k8s.io), straight from uWS; SPDY/3.1 clients (kubectl before
                            1.30, kubectl ironcore) get a 400 Status there unless --listen-spdy
  --listen-spdy             also serve SPDY/3.1 exec (POST or GET) on --listen, through a node:http
                            front that serves SPDY and relays websockets to uWS on a private port
                            (one URL for every client; websocket opens/s and bulk output cost more,
                            see bench/README.md). --requestheader-listen and --client-cert-listen
                            always serve both
  --tls-cert FILE, --tls-key FILE
                            serve HTTPS/WSS (plain HTTP without them: development only)
  --client-ca FILE          refuse client certificates not signed by this CA
  --client-cert-listen HOST:PORT
                            a second listener for users with client certificates from --client-ca
                            (CN is the user, O the groups), as kube-apiserver takes them;
                            serves websocket and SPDY/3.1 exec
  --requestheader-listen HOST:PORT, --requestheader-client-ca FILE, --requestheader-allowed-names A,B
                            a second listener for kube-apiserver's front proxy: clients must present
                            a certificate from this CA (and one of these names); X-Remote-User is
                            trusted there and nowhere else; serves websocket and SPDY/3.1 exec (how
                            kubectl and kubectl ironcore reach the gateway through the cluster)
  --provider-ca FILE, --provider-cert FILE, --provider-key FILE
                            mTLS to providers: their CA and the gateway's client certificate
  --provider-insecure       plain TCP to providers (development only)
  --kubeconfig FILE, --context NAME
                            Kubernetes API access (default: the in-cluster service account)
  --auth kube|none          TokenReview + SubjectAccessReview (default), or none (development only)
  --allow-get-verb          also accept RBAC 'get' on machines/exec for GET (older IronCore RBAC)
  --allowed-origin ORIGIN   browser origin allowed to connect (repeatable; default: same origin)
  --machine-cache-ttl DUR   reuse a machine fetched by GET this long (default ${FLAG_DEFAULTS.machineCacheTtl})
  --no-machine-watch        GET each open's machine instead of keeping all machines by list+watch
                            (then RBAC needs only 'get' on machines)
  --links-per-provider N    links opened to each provider (default ${FLAG_DEFAULTS.linksPerProvider})
  --upstream link|websocket|spdy
                            multiplexed links to our providers (default); or one connection per
                            session to the provider's per-machine endpoint: a websocket (v5, else
                            v4 and older, as IronCore's machinepoollet speaks), or SPDY/3.1 (POST,
                            as ironcore-apiserver reaches the machinepoollet)
  --workers N               uWS apps in worker threads sharing the port (default 1; 0 = one per CPU)
  --shutdown-grace DUR      on SIGTERM, let sessions run this long before closing them (default 25s)
  --authentication-token-webhook-cache-ttl DUR
                            keep a TokenReview's answer this long (default ${FLAG_DEFAULTS.tokenTtl}, as kube-apiserver)
  --authorization-webhook-cache-authorized-ttl DUR, --authorization-webhook-cache-unauthorized-ttl DUR
                            keep a SubjectAccessReview's allow (default ${FLAG_DEFAULTS.allowedTtl}) or deny (default ${FLAG_DEFAULTS.deniedTtl});
                            failed reviews are never kept
  --max-sessions N          sessions this process serves at once (default 0: no limit)
  --max-sessions-per-user N sessions one user may have open in this process (default 0: no limit)
  --max-opens-per-second-per-user N
                            opens one user may start per second (default 0: no limit); past any
                            limit an open gets 429 TooManyRequests with Retry-After. Limits are
                            per process and, with --workers, per worker thread
  --max-bytes-per-second N  console output bytes per second to each client; the client is slowed,
                            nothing is dropped (default 0: no limit)
  --audit-log-path PATH     audit.k8s.io/v1 events, one JSON line per session stage, to PATH
                            ('-': stdout); --audit-log-maxsize MB (default ${FLAG_DEFAULTS.auditLogMaxSize}) rotates it to
                            PATH.1..PATH.N, --audit-log-maxbackup N (default ${FLAG_DEFAULTS.auditLogMaxBackup}) backups kept
  --port-file FILE          once every listener is up, write ${PORT_FILE_FORMAT};
                            names: public, requestheader, client-cert
  -h, --help                this help

The bound ports are also logged (JSON on stderr): "gateway listening" {port}, and with the extra
listeners "front-proxy listener listening" and "client-certificate listener listening" {port}
(with --workers > 1: "gateway workers listening" {port}).`;

export function parseGatewayArgs(argv: string[]): { config: GatewayConfig; workers: number; portFile?: string } {
  // Help first, whatever else is wrong on the line.
  if (helpRequested(argv)) {
    console.log(HELP);
    process.exit(0);
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: ':8443' },
      'listen-spdy': { type: 'boolean', default: false },
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
      'machine-cache-ttl': { type: 'string', default: FLAG_DEFAULTS.machineCacheTtl },
      'no-machine-watch': { type: 'boolean', default: false },
      'links-per-provider': { type: 'string', default: FLAG_DEFAULTS.linksPerProvider },
      upstream: { type: 'string', default: 'link' },
      workers: { type: 'string', default: '1' },
      'shutdown-grace': { type: 'string', default: '25s' },
      'authentication-token-webhook-cache-ttl': { type: 'string', default: FLAG_DEFAULTS.tokenTtl },
      'authorization-webhook-cache-authorized-ttl': { type: 'string', default: FLAG_DEFAULTS.allowedTtl },
      'authorization-webhook-cache-unauthorized-ttl': { type: 'string', default: FLAG_DEFAULTS.deniedTtl },
      'max-sessions': { type: 'string', default: '0' },
      'max-sessions-per-user': { type: 'string', default: '0' },
      'max-opens-per-second-per-user': { type: 'string', default: '0' },
      'max-bytes-per-second': { type: 'string', default: '0' },
      'audit-log-path': { type: 'string' },
      'audit-log-maxsize': { type: 'string', default: FLAG_DEFAULTS.auditLogMaxSize },
      'audit-log-maxbackup': { type: 'string', default: FLAG_DEFAULTS.auditLogMaxBackup },
      'port-file': { type: 'string' },
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
  if (values.upstream !== 'link' && values.upstream !== 'websocket' && values.upstream !== 'spdy') {
    throw new UsageError(`--upstream is link, websocket or spdy, got ${JSON.stringify(values.upstream)}`);
  }
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
    ...(values['port-file'] && { portFile: values['port-file'] }),
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
      watchMachines: !values['no-machine-watch'],
      linksPerProvider: count('--links-per-provider', values['links-per-provider'], 1),
      upstream: values.upstream,
      listenMode: values['listen-spdy'] ? 'split' : 'websocket',
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
      reviews: {
        tokenTtlMs: durationFlag(values['authentication-token-webhook-cache-ttl'], '--authentication-token-webhook-cache-ttl'),
        allowedTtlMs: durationFlag(values['authorization-webhook-cache-authorized-ttl'], '--authorization-webhook-cache-authorized-ttl'),
        deniedTtlMs: durationFlag(values['authorization-webhook-cache-unauthorized-ttl'], '--authorization-webhook-cache-unauthorized-ttl'),
      },
      limits: {
        maxSessions: count('--max-sessions', values['max-sessions'], 0),
        maxSessionsPerUser: count('--max-sessions-per-user', values['max-sessions-per-user'], 0),
        maxOpensPerSecondPerUser: count('--max-opens-per-second-per-user', values['max-opens-per-second-per-user'], 0),
      },
      maxBytesPerSecond: count('--max-bytes-per-second', values['max-bytes-per-second'], 0),
      ...(values['audit-log-path'] && {
        auditLog: {
          path: values['audit-log-path'],
          maxBytes: count('--audit-log-maxsize', values['audit-log-maxsize'], 1) * MIB,
          maxBackups: count('--audit-log-maxbackup', values['audit-log-maxbackup'], 0),
        },
      }),
    },
  };
}

async function run(argv: string[]): Promise<void> {
  const { config, workers, portFile } = parseGatewayArgs(argv);
  const logger = createLogger();
  const { stop, listeners } = workers > 1 ? await startWorkers(config, workers, logger) : await runGateway(config, logger);
  if (portFile) writePortFile(portFile, listeners);
  stopOnSignal(stop, logger, { graceMs: config.shutdownGraceMs });
}

/**
 * Starts the workers on one port. uSockets shares a port between apps only when it was asked
 * for by number, so port 0 is first resolved to a free port here. Node's listeners cannot share
 * a port across threads: the first worker runs the node:tls relay listeners, and in split mode
 * the front of the public port, which spreads websockets over every worker's private app.
 */
async function startWorkers(config: GatewayConfig, count: number, logger: Logger): Promise<{ stop: () => Promise<void>; listeners: BoundListener[] }> {
  const port = config.port || (await freePort(config.host));
  const frontKey = config.listenMode === 'split' ? newFrontKey() : undefined;
  // The workers hand their audit lines here: one writer owns (and rotates) the file.
  const audit = config.auditLog && openAuditLog(config.auditLog, auditTroubleLogger(logger));
  const start = (index: number, front?: PrivateAddress[]) =>
    new Promise<{ worker: Worker; listeners: BoundListener[] }>((resolve, reject) => {
      const { requestHeader, clientCertificates, ...shared } = config;
      const threadFront = frontKey && { worker: { frontKey, ...(front && { front }) } };
      const workerConfig = index === 0 ? { ...config, port, ...threadFront } : { ...shared, port, ...threadFront };
      const worker = new Worker(new URL('../gateway-worker.js', import.meta.url), { workerData: { index, config: workerConfig } });
      worker.once('message', (message: { listeners: BoundListener[] }) => resolve({ worker, listeners: message.listeners }));
      if (audit) worker.on('message', (message: { audit?: string }) => message.audit && audit.write(message.audit));
      worker.once('error', reject);
      worker.once('exit', (code) => code !== 0 && logger.error({ worker: index, code }, 'gateway worker exited'));
    });
  // Worker 0 last: its front relays to the others' private apps from its first connection on.
  const others = await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
  const privateApps = frontKey ? others.map(({ listeners }) => ({ port: listeners.find((listener) => listener.name === 'private')!.port, key: frontKey })) : undefined;
  const all = [await start(0, privateApps), ...others];
  logger.info({ workers: count, port }, 'gateway workers listening');
  return {
    listeners: all[0]!.listeners,
    async stop() {
      await Promise.all(all.map(({ worker }) => new Promise((resolve) => {
        worker.once('exit', resolve);
        worker.postMessage('stop');
      })));
      audit?.close();
    },
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

export const gatewayCommand: CliCommand = { summary, run };
