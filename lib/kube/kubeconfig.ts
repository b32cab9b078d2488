// kubectl's kubeconfig: several files merged as kubectl merges them, one context selected,
// turned into a KubeConfig. File paths inside a file are relative to that file's folder.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { KubeConfig } from './config.js';
import { ExecCredentialPlugin, type ExecClusterInfo, type ExecConfig } from './exec-credential.js';
import { fileTokenSource } from './token-file.js';

interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  extensions?: { name: string; extension: unknown }[];
}

interface UserEntry {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  exec?: ExecConfig;
  username?: string;
  'auth-provider'?: unknown;
}

interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: { name: string; cluster: ClusterEntry }[] | null;
  users?: { name: string; user: UserEntry }[] | null;
  contexts?: { name: string; context: ContextEntry }[] | null;
}

/** An entry and the folder of the file it came from. */
interface Located<T> {
  entry: T;
  dir: string;
}

interface MergedKubeconfig {
  currentContext?: string;
  clusters: Map<string, Located<ClusterEntry>>;
  users: Map<string, Located<UserEntry>>;
  contexts: Map<string, Located<ContextEntry>>;
}

/** Which kubeconfig files and which context. */
export interface KubeconfigOptions {
  /** Files to merge; default: KUBECONFIG split on ':', else ~/.kube/config. */
  paths?: string[];
  /** Context to use instead of the current-context. */
  context?: string;
  /** For KUBECONFIG and HOME. */
  env?: NodeJS.ProcessEnv;
}

/** The cluster and credentials of a kubeconfig context, as kubectl reads them (exec plugins and token files included). */
export function loadKubeconfig(options: KubeconfigOptions = {}): KubeConfig {
  const merged = mergeFiles(kubeconfigFiles(options));
  const contextName = options.context ?? merged.currentContext;
  if (!contextName) throw new Error('kubeconfig has no current-context; name a context');
  const context = merged.contexts.get(contextName);
  if (!context) throw new Error(`context "${contextName}" not found in kubeconfig`);
  const { cluster: clusterName, user: userName, namespace } = context.entry;
  const cluster = clusterName ? merged.clusters.get(clusterName) : undefined;
  if (!clusterName || !cluster) {
    throw new Error(`cluster "${clusterName ?? ''}" of context "${contextName}" not found in kubeconfig`);
  }
  const user = userName ? merged.users.get(userName) : { entry: {}, dir: cluster.dir };
  if (!user) throw new Error(`user "${userName}" of context "${contextName}" not found in kubeconfig`);

  const config = clusterConfig(clusterName, cluster);
  Object.assign(config, userCredentials(userName ?? '', user, execClusterInfo(config, cluster.entry)));
  if (namespace) config.namespace = namespace;
  return config;
}

/** Existing files to merge. Missing KUBECONFIG entries are skipped, as kubectl does. */
function kubeconfigFiles(options: KubeconfigOptions): string[] {
  if (options.paths) {
    for (const path of options.paths) if (!existsSync(path)) throw new Error(`kubeconfig ${path} does not exist`);
    return options.paths;
  }
  const env = options.env ?? process.env;
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const candidates = listed.length > 0 ? listed : [join(env.HOME ?? homedir(), '.kube', 'config')];
  const found = candidates.filter((path) => existsSync(path));
  if (found.length === 0) throw new Error(`no kubeconfig found (looked for ${candidates.join(', ')})`);
  return found;
}

/** kubectl's merge: the first file that names a cluster, user or context wins. */
function mergeFiles(paths: string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const path of paths) {
    const file = readKubeconfigFile(path);
    const dir = dirname(resolve(path));
    merged.currentContext ||= file['current-context'] || undefined;
    addFirst(merged.clusters, file.clusters, (item) => item.cluster, dir);
    addFirst(merged.users, file.users, (item) => item.user, dir);
    addFirst(merged.contexts, file.contexts, (item) => item.context, dir);
  }
  return merged;
}

function addFirst<I extends { name: string }, T>(
  into: Map<string, Located<T>>,
  items: I[] | null | undefined,
  entryOf: (item: I) => T | undefined,
  dir: string,
): void {
  for (const item of items ?? []) {
    if (!into.has(item.name)) into.set(item.name, { entry: entryOf(item) ?? ({} as T), dir });
  }
}

function readKubeconfigFile(path: string): KubeconfigFile {
  let value: unknown;
  try {
    value = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`kubeconfig ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`kubeconfig ${path} is not a YAML mapping`);
  return value as KubeconfigFile;
}

function clusterConfig(name: string, { entry, dir }: Located<ClusterEntry>): KubeConfig {
  if (!entry.server) throw new Error(`cluster "${name}" in kubeconfig has no server`);
  const config: KubeConfig = { server: entry.server };
  const ca = dataOrFile(entry['certificate-authority-data'], entry['certificate-authority'], dir, `cluster "${name}"`);
  if (entry['insecure-skip-tls-verify']) {
    if (ca) throw new Error(`cluster "${name}" sets both a certificate authority and insecure-skip-tls-verify`);
    config.insecureSkipTLSVerify = true;
  }
  if (ca) config.ca = ca;
  return config;
}

function userCredentials(
  name: string,
  { entry, dir }: Located<UserEntry>,
  cluster: ExecClusterInfo,
): Partial<KubeConfig> {
  const what = `user "${name}"`;
  if (entry['auth-provider']) throw new Error(`${what}: auth-provider is not supported; use an exec plugin`);
  if (entry.username) throw new Error(`${what}: basic authentication (username/password) is not supported`);
  if (entry.exec && (entry.token || entry.tokenFile)) throw new Error(`${what} sets both exec and a token; use one`);

  const credentials: Partial<KubeConfig> = {};
  const cert = dataOrFile(entry['client-certificate-data'], entry['client-certificate'], dir, what);
  const key = dataOrFile(entry['client-key-data'], entry['client-key'], dir, what);
  if (Boolean(cert) !== Boolean(key)) throw new Error(`${what} needs both a client certificate and a client key`);
  if (cert && key) Object.assign(credentials, { clientCert: cert, clientKey: key });

  if (entry.tokenFile) {
    // As client-go: a token file takes precedence over an inline token.
    credentials.token = fileTokenSource(resolve(dir, entry.tokenFile));
  } else if (entry.token) {
    const token = entry.token;
    credentials.token = () => token;
  } else if (entry.exec) {
    Object.assign(credentials, execCredentials(entry.exec, dir, cluster));
  }
  return credentials;
}

function execCredentials(exec: ExecConfig, dir: string, cluster: ExecClusterInfo): Partial<KubeConfig> {
  const plugin = new ExecCredentialPlugin(exec, { baseDir: dir, cluster });
  const first = plugin.credential();
  const credentials: Partial<KubeConfig> = { token: () => plugin.credential().token };
  if (first.clientCertificateData && first.clientKeyData) {
    credentials.clientCert = Buffer.from(first.clientCertificateData);
    credentials.clientKey = Buffer.from(first.clientKeyData);
  }
  return credentials;
}

/** What an exec plugin with provideClusterInfo is told about the cluster. */
function execClusterInfo(config: KubeConfig, entry: ClusterEntry): ExecClusterInfo {
  const info: ExecClusterInfo = { server: config.server };
  if (config.ca) info['certificate-authority-data'] = config.ca.toString('base64');
  if (config.insecureSkipTLSVerify) info['insecure-skip-tls-verify'] = true;
  const extension = entry.extensions?.find((item) => item.name === 'client.authentication.k8s.io/exec');
  if (extension) info.config = extension.extension;
  return info;
}

function dataOrFile(data: string | undefined, file: string | undefined, dir: string, what: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (!file) return undefined;
  const path = resolve(dir, file);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
