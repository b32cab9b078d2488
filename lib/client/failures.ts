// What can go wrong when opening a console, in the terms a user acts on: each failure has a
// kind (the CLI turns it into an exit code) and a message that says what to do next.
import { parseStatus } from '../protocol/index.js';

/** What the user can do about a failure; the CLI maps each to an exit code. */
export type FailureKind = 'usage' | 'auth' | 'notFound' | 'unreachable' | 'failure';

/** A failure to open or keep a console, with its kind and a message that says what to do next. */
export class ExecError extends Error {
  override name = 'ExecError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Where the session was going, for messages. */
export interface FailureContext {
  namespace: string;
  machine: string;
  /** The gateway as host:port (never with credentials). */
  gateway: string;
}

/** The gateway answered the upgrade with an HTTP error (its body is a Kubernetes Status). */
export function refusalError(code: number, body: string, context: FailureContext): ExecError {
  const status = parseStatus(body);
  const said = status?.message ?? (body.trim().slice(0, 200) || `HTTP ${code}`);
  const target = `${context.namespace}/${context.machine}`;
  switch (code) {
    case 401:
      return new ExecError('auth', `the gateway did not accept your credentials: ${said}; check your kubeconfig/--token`);
    case 403:
      return new ExecError(
        'auth',
        `you may not open the console of ${target}: ${said}; you need "create" on machines/exec in namespace "${context.namespace}"`,
      );
    case 404:
      if (status?.details?.kind === 'machinepools') {
        return new ExecError('notFound', `${said}: the machine's pool is gone; ask the cluster's administrators`);
      }
      return new ExecError('notFound', `${said}; check the machine name and the namespace (-n)`);
    case 502:
    case 503:
    case 504:
      return new ExecError('unreachable', `the gateway cannot reach the console of ${target}: ${said}; try again later`);
    default:
      return new ExecError('failure', `the gateway refused the session (HTTP ${code}): ${said}`);
  }
}

const TLS_ERROR = /CERT|SELF_SIGNED|SSL|TLS|ALTNAME|UNABLE_TO_(GET|VERIFY)/;

/** The connection to the gateway failed before the upgrade completed. */
export function connectError(error: NodeJS.ErrnoException, context: FailureContext): ExecError {
  const code = error.code ?? '';
  const where = `the gateway at ${context.gateway}`;
  if (code === 'ECONNREFUSED') {
    return new ExecError('unreachable', `cannot connect to ${where}: connection refused; check the kubeconfig's server or --server`, { cause: error });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ExecError('unreachable', `cannot resolve ${where}: ${error.message}; check the kubeconfig's server or --server`, { cause: error });
  }
  if (TLS_ERROR.test(code)) {
    return new ExecError(
      'unreachable',
      `TLS with ${where} failed: ${error.message}; check certificate-authority (or --certificate-authority)`,
      { cause: error },
    );
  }
  if (/subprotocol/i.test(error.message)) {
    return new ExecError('failure', `${where} does not speak the Kubernetes channel protocol: ${error.message}; is it an ironcore-console gateway?`, { cause: error });
  }
  return new ExecError('unreachable', `cannot connect to ${where}: ${error.message}`, { cause: error });
}

/** The session's connection broke after the upgrade. */
export function connectionLost(reason: string): ExecError {
  return new ExecError('unreachable', `connection to the gateway lost: ${reason}`);
}
