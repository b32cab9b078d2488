// The provider's config file (YAML, or JSON, which YAML reads too). Unknown keys are errors,
// so a typo is caught at start and not silently ignored. PROVIDER_CONFIG_EXAMPLE shows every key
// (`ironcore-console provider --help` prints it).
//
// With authorization, a caller of the per-machine endpoint is its verified client certificate's
// CN (O the groups) or, without a certificate, the user a TokenReview names for its bearer
// token; it must be allowed `get` (GET) or `create` (POST) on compute.ironcore.dev
// machinepools/proxy named machinePool. allowedSubjects then guards only the gateway's link.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PROVIDER_PORT } from '../protocol/index.js';
import type { SharingMode } from './console-registry.js';
import { DEPLOYED_LINGER_MS, PROVIDER_DEFAULTS } from './defaults.js';

/** The defaults of the keys left out, in the file's units (seconds where the library takes ms). */
const DEFAULT_LISTEN = `:${DEFAULT_PROVIDER_PORT}`;
const DEFAULT_STALL_TIMEOUT_SECONDS = PROVIDER_DEFAULTS.stallTimeoutMs / 1000;
const DEFAULT_LINGER_SECONDS = DEPLOYED_LINGER_MS / 1000;

/** The config file with every key, its default and a comment: what `provider --help` prints. */
export const PROVIDER_CONFIG_EXAMPLE = `listen: "${DEFAULT_LISTEN}"                 # [host]:port; default "${DEFAULT_LISTEN}" (all interfaces)
tls:
  certFile: /etc/ironcore-console/tls.crt
  keyFile: /etc/ironcore-console/tls.key
  clientCAFile: /etc/ironcore-console/client-ca.crt   # client certificates must chain to it
  allowedSubjects: [ironcore-console-gateway]          # optional: client certificate CNs
authorization:                   # optional: authorize the per-machine endpoint's callers as
                                 # IronCore's machinepoollet does (off: any client certificate)
  machinePool: pool-a            # SubjectAccessReviews ask about machinepools/proxy of this name
  kube:                          # the API server for TokenReviews and SubjectAccessReviews
    kubeconfig: /etc/ironcore-console/kubeconfig   # absent: the pod's service account
    context: provider            # optional: a context of that kubeconfig
insecureNoClientAuth: false      # dev: accept clients without certificates
insecureNoTLS: false             # dev: plain HTTP, no tls section needed
backend:
  kind: unix-serial              # unix-serial | tcp-serial | pty
  path: /run/consoles/{namespace}/{machine}.sock      # unix-serial
  # address: "{machine}.{namespace}.consoles:7000"   # tcp-serial
  # command: /bin/bash, args: [], env: {}, cwd: /    # pty
sharing: ${PROVIDER_DEFAULTS.sharing}                  # shared | exclusive | none; default none for pty, else ${PROVIDER_DEFAULTS.sharing}
scrollbackBytes: ${PROVIDER_DEFAULTS.scrollbackBytes}           # 0 = no replay
stallTimeoutSeconds: ${DEFAULT_STALL_TIMEOUT_SECONDS}          # a viewer that reads nothing this long is closed
lingerSeconds: ${DEFAULT_LINGER_SECONDS}                # shared: keep a console (and its scrollback) this long after its last session`;

/** Which built-in backend opens the consoles (createUnixSerialBackend, createTcpSerialBackend, createPtyBackend). */
export type BackendConfig =
  | { kind: 'unix-serial'; path: string }
  | { kind: 'tcp-serial'; address: string }
  | { kind: 'pty'; command?: string; args?: string[]; env?: Record<string, string>; cwd?: string };

/** The config's `tls` section: PEM files, and the link's allowed certificate CNs. */
export interface ProviderTlsFiles {
  certFile: string;
  keyFile: string;
  clientCAFile?: string;
  allowedSubjects?: string[];
}

/** The config's `authorization` section (MachinePoolAuthorization from files). */
export interface ProviderAuthorizationConfig {
  machinePool: string;
  /** kubeconfig undefined: in-cluster. */
  kube: { kubeconfig?: string; context?: string };
}

/** A checked provider config file (PROVIDER_CONFIG_EXAMPLE shows every key). */
export interface ProviderConfig {
  /** host undefined: all interfaces. */
  listen: { host?: string; port: number };
  /** Undefined only with insecureNoTLS. */
  tls?: ProviderTlsFiles;
  /** Undefined: the per-machine endpoint serves every client TLS accepts. */
  authorization?: ProviderAuthorizationConfig;
  insecureNoClientAuth: boolean;
  insecureNoTLS: boolean;
  backend: BackendConfig;
  sharing: SharingMode;
  scrollbackBytes: number;
  stallTimeoutSeconds: number;
  lingerSeconds: number;
}

/** A config that cannot be read or breaks a rule; the message names the file and the key. */
export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

const SHARING_MODES: readonly SharingMode[] = ['shared', 'exclusive', 'none'];
const BACKEND_KEYS = {
  'unix-serial': ['path'],
  'tcp-serial': ['address'],
  pty: ['command', 'args', 'env', 'cwd'],
} as const;

/** Reads and checks the config file at `file` (YAML or JSON; unknown keys are errors). */
export async function loadProviderConfig(file: string): Promise<ProviderConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ProviderConfigError(`cannot read provider config ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseProviderConfig(text, file);
}

/** Parses and checks a config; `source` names it in errors. */
export function parseProviderConfig(text: string, source = 'provider config'): ProviderConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new ProviderConfigError(`${source}: not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
  const root = new Section(document ?? {}, '', source);
  root.allowOnly(['listen', 'tls', 'authorization', 'insecureNoClientAuth', 'insecureNoTLS', 'backend', 'sharing', 'scrollbackBytes', 'stallTimeoutSeconds', 'lingerSeconds']);
  const insecureNoTLS = root.boolean('insecureNoTLS') ?? false;
  const insecureNoClientAuth = root.boolean('insecureNoClientAuth') ?? false;
  const tlsSection = root.section('tls');
  const tls = tlsSection && parseTls(tlsSection, insecureNoClientAuth);
  if (!tls && !insecureNoTLS) root.fail('tls is required (certFile, keyFile, clientCAFile); set insecureNoTLS: true for plain HTTP in development');
  const authorizationSection = root.section('authorization');
  const authorization = authorizationSection && parseAuthorization(authorizationSection);
  const backend = parseBackend(root.section('backend') ?? root.fail('backend is required'));
  const sharing = root.string('sharing') ?? (backend.kind === 'pty' ? 'none' : PROVIDER_DEFAULTS.sharing);
  if (!SHARING_MODES.includes(sharing as SharingMode)) root.fail(`sharing must be one of ${SHARING_MODES.join(', ')}, got ${JSON.stringify(sharing)}`);
  return {
    listen: parseListen(root, root.string('listen') ?? DEFAULT_LISTEN),
    tls,
    ...(authorization && { authorization }),
    insecureNoClientAuth,
    insecureNoTLS,
    backend,
    sharing: sharing as SharingMode,
    scrollbackBytes: root.count('scrollbackBytes') ?? PROVIDER_DEFAULTS.scrollbackBytes,
    stallTimeoutSeconds: root.count('stallTimeoutSeconds') ?? DEFAULT_STALL_TIMEOUT_SECONDS,
    lingerSeconds: root.count('lingerSeconds') ?? DEFAULT_LINGER_SECONDS,
  };
}

function parseTls(tls: Section, insecureNoClientAuth: boolean): ProviderTlsFiles {
  tls.allowOnly(['certFile', 'keyFile', 'clientCAFile', 'allowedSubjects']);
  const clientCAFile = tls.string('clientCAFile');
  if (!clientCAFile && !insecureNoClientAuth) tls.fail('tls.clientCAFile is required to verify client certificates (or set insecureNoClientAuth: true)');
  const allowedSubjects = tls.strings('allowedSubjects');
  return {
    certFile: tls.required('certFile'),
    keyFile: tls.required('keyFile'),
    ...(clientCAFile && { clientCAFile }),
    ...(allowedSubjects && { allowedSubjects }),
  };
}

function parseAuthorization(authorization: Section): ProviderAuthorizationConfig {
  authorization.allowOnly(['machinePool', 'kube']);
  const machinePool = authorization.required('machinePool');
  const kube = authorization.section('kube') ?? authorization.fail('authorization.kube is required (kubeconfig, context; {} for the pod\'s service account)');
  kube.allowOnly(['kubeconfig', 'context']);
  const kubeconfig = kube.string('kubeconfig');
  const context = kube.string('context');
  if (context && !kubeconfig) kube.fail('authorization.kube.context needs authorization.kube.kubeconfig');
  return { machinePool, kube: { ...(kubeconfig && { kubeconfig }), ...(context && { context }) } };
}

function parseBackend(backend: Section): BackendConfig {
  const kinds = Object.keys(BACKEND_KEYS);
  const kind = backend.required('kind');
  if (!(kind in BACKEND_KEYS)) backend.fail(`backend.kind must be one of ${kinds.join(', ')}, got ${JSON.stringify(kind)}`);
  const known = kind as keyof typeof BACKEND_KEYS;
  backend.allowOnly(['kind', ...BACKEND_KEYS[known]]);
  switch (known) {
    case 'unix-serial':
      return { kind: known, path: backend.required('path') };
    case 'tcp-serial':
      return { kind: known, address: backend.required('address') };
    case 'pty': {
      const command = backend.string('command');
      const args = backend.strings('args');
      const env = backend.stringMap('env');
      const cwd = backend.string('cwd');
      return { kind: known, ...(command && { command }), ...(args && { args }), ...(env && { env }), ...(cwd && { cwd }) };
    }
  }
}

/** ':12319', 'host:12319', '[::1]:12319'. */
function parseListen(root: Section, listen: string): { host?: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) return root.fail(`listen must be [host]:port, e.g. "${DEFAULT_LISTEN}", got ${JSON.stringify(listen)}`);
  const host = match[1] ?? match[2];
  return host ? { host, port } : { port };
}

/** One mapping of the document; its readers name the key's full path in errors. */
class Section {
  private readonly fields: Record<string, unknown>;

  constructor(
    value: unknown,
    private readonly prefix: string,
    private readonly source: string,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${prefix.slice(0, -1) || 'the document'} must be a mapping`);
    this.fields = value as Record<string, unknown>;
  }

  fail(message: string): never {
    throw new ProviderConfigError(`${this.source}: ${message}`);
  }

  allowOnly(allowed: readonly string[]): void {
    const unknown = Object.keys(this.fields).filter((key) => !allowed.includes(key));
    if (unknown.length > 0) this.fail(`unknown key ${unknown.map((key) => this.prefix + key).join(', ')}; known: ${allowed.join(', ')}`);
  }

  section(key: string): Section | undefined {
    const value = this.value(key);
    return value === undefined ? undefined : new Section(value, `${this.prefix}${key}.`, this.source);
  }

  string(key: string): string | undefined {
    return this.typed(key, 'string') as string | undefined;
  }

  required(key: string): string {
    return this.string(key) ?? this.fail(`${this.prefix}${key} is required`);
  }

  boolean(key: string): boolean | undefined {
    return this.typed(key, 'boolean') as boolean | undefined;
  }

  /** A non-negative integer. */
  count(key: string): number | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(`${this.prefix}${key} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return value as number;
  }

  strings(key: string): string[] | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) this.fail(`${this.prefix}${key} must be a list of strings`);
    return value as string[];
  }

  stringMap(key: string): Record<string, string> | undefined {
    const section = this.section(key);
    if (!section) return undefined;
    for (const name of Object.keys(section.fields)) section.required(name);
    return section.fields as Record<string, string>;
  }

  private typed(key: string, type: 'string' | 'boolean'): unknown {
    const value = this.value(key);
    if (value !== undefined && typeof value !== type) this.fail(`${this.prefix}${key} must be a ${type}, got ${JSON.stringify(value)}`);
    return value;
  }

  private value(key: string): unknown {
    return this.fields[key] ?? undefined;
  }
}
