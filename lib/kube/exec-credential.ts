// client-go "exec" credential plugins (client.authentication.k8s.io/v1 and v1beta1), as used
// by cloud CLIs and OIDC helpers. The plugin runs synchronously, so that KubeConfig.token stays
// a plain function: it only runs at load and again when the credential it gave has expired.
import { execFileSync } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';

const SUPPORTED_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
const NON_INTERACTIVE_TIMEOUT_MS = 60_000;

/** The `user.exec` section of a kubeconfig. */
export interface ExecConfig {
  apiVersion?: string;
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
}

/** Passed to the plugin in KUBERNETES_EXEC_INFO when provideClusterInfo is set. */
export interface ExecClusterInfo {
  server: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  config?: unknown;
}

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

export interface ExecPluginOptions {
  /** Directory of the kubeconfig: a relative command with a slash is resolved against it. */
  baseDir: string;
  cluster?: ExecClusterInfo;
}

export class ExecCredentialPlugin {
  private readonly apiVersion: string;
  private readonly command: string;
  private readonly interactiveMode: NonNullable<ExecConfig['interactiveMode']>;
  private cached: ExecCredentialStatus | undefined;
  private expiresAt = Infinity;

  constructor(
    private readonly config: ExecConfig,
    private readonly options: ExecPluginOptions,
  ) {
    if (!config.command) throw new Error('exec plugin: command is required');
    if (!config.apiVersion || !SUPPORTED_API_VERSIONS.includes(config.apiVersion)) {
      throw new Error(
        `exec plugin "${config.command}": apiVersion ${config.apiVersion ?? '(none)'} is not supported; ` +
          `use one of ${SUPPORTED_API_VERSIONS.join(', ')}`,
      );
    }
    if (config.apiVersion.endsWith('/v1') && !config.interactiveMode) {
      throw new Error(`exec plugin "${config.command}": interactiveMode must be set for ${config.apiVersion}`);
    }
    this.apiVersion = config.apiVersion;
    this.command = config.command;
    this.interactiveMode = config.interactiveMode ?? 'IfAvailable';
  }

  /** The plugin's credential, run again only once the last one has expired. */
  credential(): ExecCredentialStatus {
    if (this.cached && Date.now() < this.expiresAt) return this.cached;
    const status = this.run();
    this.cached = status;
    this.expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Infinity;
    return status;
  }

  private run(): ExecCredentialStatus {
    const interactive = this.isInteractive();
    let output: string;
    try {
      output = execFileSync(this.resolveCommand(), this.config.args ?? [], {
        encoding: 'utf8',
        env: { ...process.env, ...this.pluginEnv(), KUBERNETES_EXEC_INFO: JSON.stringify(this.execInfo(interactive)) },
        // stderr is the user's: plugins print prompts and hints there.
        stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'],
        timeout: interactive ? undefined : NON_INTERACTIVE_TIMEOUT_MS,
      });
    } catch (err) {
      throw this.runError(err as NodeJS.ErrnoException & { status?: number | null });
    }
    return this.parse(output);
  }

  private isInteractive(): boolean {
    if (this.interactiveMode === 'Never') return false;
    const tty = Boolean(process.stdin.isTTY);
    if (this.interactiveMode === 'Always' && !tty) {
      throw new Error(`exec plugin "${this.command}" needs an interactive terminal (interactiveMode: Always)`);
    }
    return tty;
  }

  private resolveCommand(): string {
    const { command } = this;
    return command.includes('/') && !isAbsolute(command) ? resolve(this.options.baseDir, command) : command;
  }

  private pluginEnv(): Record<string, string> {
    return Object.fromEntries((this.config.env ?? []).map(({ name, value }) => [name, value]));
  }

  private execInfo(interactive: boolean): object {
    const spec: Record<string, unknown> = { interactive };
    if (this.config.provideClusterInfo && this.options.cluster) spec.cluster = this.options.cluster;
    return { kind: 'ExecCredential', apiVersion: this.apiVersion, spec };
  }

  private runError(err: NodeJS.ErrnoException & { status?: number | null }): Error {
    const name = `exec plugin "${this.command}"`;
    if (err.code === 'ENOENT') {
      return new Error(`${name} not found${this.config.installHint ? `: ${this.config.installHint}` : ''}`);
    }
    if (err.code === 'ETIMEDOUT') return new Error(`${name} did not finish within ${NON_INTERACTIVE_TIMEOUT_MS} ms`);
    if (typeof err.status === 'number') return new Error(`${name} exited with status ${err.status}`);
    return new Error(`${name} failed: ${err.message}`);
  }

  private parse(output: string): ExecCredentialStatus {
    const name = `exec plugin "${this.command}"`;
    let credential: { kind?: string; apiVersion?: string; status?: ExecCredentialStatus };
    try {
      credential = JSON.parse(output) as typeof credential;
    } catch {
      throw new Error(`${name} did not print an ExecCredential as JSON`);
    }
    if (credential.kind !== 'ExecCredential' || credential.apiVersion !== this.apiVersion) {
      throw new Error(
        `${name} printed kind ${credential.kind} ${credential.apiVersion}, expected ExecCredential ${this.apiVersion}`,
      );
    }
    const status = credential.status;
    if (!status || (!status.token && !status.clientCertificateData)) {
      throw new Error(`${name} returned neither a token nor a client certificate`);
    }
    if (Boolean(status.clientCertificateData) !== Boolean(status.clientKeyData)) {
      throw new Error(`${name} must return clientCertificateData and clientKeyData together`);
    }
    if (status.expirationTimestamp && Number.isNaN(Date.parse(status.expirationTimestamp))) {
      throw new Error(`${name} returned an invalid expirationTimestamp`);
    }
    return status;
  }
}
