// Kubernetes metav1.Status objects: HTTP error bodies before the upgrade, and the error
// channel's message after it, shaped exactly as kube-apiserver and the kubelet write them.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind?: 'Status';
  apiVersion?: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  /** retryAfterSeconds: when to try again (a 429's or 503's Retry-After header says the same). */
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code?: number;
}

/** The StatusReason kube-apiserver uses for each HTTP code we answer with. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForCode(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
}

/** What kube-apiserver tells a caller when its authorizer failed: nothing of why (that is for the log). */
export const AUTHORIZATION_FAILED_MESSAGE = 'Internal error occurred: the request could not be authorized';

/** A failure Status as an API response body (with kind, apiVersion and code). */
export function failureStatus(code: number, message: string, reason = reasonForCode(code), details?: Status['details']): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason };
  if (details) status.details = details;
  status.code = code;
  return status;
}

/** What the kubelet writes on the error channel when the command succeeded. */
export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

/** What the kubelet writes on the error channel for a non-zero exit code. */
export function exitCodeStatus(exitCode: number, command = 'console'): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** The exit code a Status carries (0 for success), or undefined when it carries none. */
export function exitCodeOf(status: Status): number | undefined {
  if (status.status === 'Success') return 0;
  if (status.reason !== 'NonZeroExitCode') return undefined;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : undefined;
}

/** How much of a refused upgrade's (or handshake's) body a client reads for its Status. */
export const MAX_REFUSAL_BODY_BYTES = 64 * 1024;

/** A Status object from a response body, or undefined when the body is not one. */
export function parseStatus(body: string): Status | undefined {
  try {
    const value = JSON.parse(body) as Partial<Status> | null;
    return value?.kind === 'Status' ? (value as Status) : undefined;
  } catch {
    return undefined;
  }
}

/** An error that becomes a Status: thrown where a request fails with a known code. */
export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly code: number,
    message: string,
    readonly reason = reasonForCode(code),
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  toStatus(): Status {
    return failureStatus(this.code, this.message, this.reason);
  }
}
