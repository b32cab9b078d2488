// Where and as whom to connect, resolved as kubectl does: the kubeconfig (KUBECONFIG, else
// ~/.kube/config, or --kubeconfig), its context (or --context), then flags override it.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { loadKubeconfig, type KubeConfig } from '../kube/index.js';
import { ExecError } from './failures.js';

/** kubectl's connection flags; each one overrides what the kubeconfig says. */
export interface ConnectionOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  server?: string;
  token?: string;
  /** A PEM file. */
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  /** For KUBECONFIG and HOME; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Where and as whom to connect: the kubeconfig's cluster and user, with the namespace to use. */
export interface ConnectionSettings extends KubeConfig {
  namespace: string;
}

/**
 * The connection kubectl would use with these flags: the kubeconfig (KUBECONFIG, ~/.kube/config
 * or `kubeconfig`), its current or the named context, each flag overriding it.
 *
 * @example
 * ```js
 * const connection = resolveConnection({ context: 'prod', namespace: 'default' });
 * const exitCode = await runExec({ connection, machine: 'web-1' });
 * ```
 */
export function resolveConnection(options: ConnectionOptions): ConnectionSettings {
  if (options.certificateAuthority && options.insecureSkipTlsVerify) {
    throw new ExecError('usage', '--certificate-authority and --insecure-skip-tls-verify exclude each other');
  }
  const config = loadConfig(options);
  if (options.server) config.server = options.server;
  if (options.token !== undefined) {
    const token = options.token;
    config.token = () => token;
  }
  if (options.certificateAuthority) {
    config.ca = readFlagFile(options.certificateAuthority, '--certificate-authority');
    delete config.insecureSkipTLSVerify;
  }
  if (options.insecureSkipTlsVerify) {
    config.insecureSkipTLSVerify = true;
    delete config.ca;
  }
  return { ...config, namespace: options.namespace ?? config.namespace ?? 'default' };
}

function loadConfig(options: ConnectionOptions): KubeConfig {
  const env = options.env ?? process.env;
  // As kubectl: --server alone (with --token, say) works where there is no kubeconfig at all.
  if (options.server && !options.kubeconfig && !options.context && !kubeconfigPresent(env)) {
    return { server: options.server };
  }
  try {
    return loadKubeconfig({ paths: options.kubeconfig ? [options.kubeconfig] : undefined, context: options.context, env });
  } catch (error) {
    throw new ExecError('failure', `cannot use the kubeconfig: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether any of the files loadKubeconfig would read by default exists. */
function kubeconfigPresent(env: NodeJS.ProcessEnv): boolean {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const candidates = listed.length > 0 ? listed : [join(env.HOME ?? homedir(), '.kube', 'config')];
  return candidates.some((path) => existsSync(path));
}

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ExecError('usage', `${flag} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
