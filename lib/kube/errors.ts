// The one error type of lib/kube: every failure carries the HTTP code and StatusReason the
// gateway answers its own client with.
import { failureStatus, parseStatus, reasonForCode, type Status } from '../protocol/index.js';

export type StatusDetails = NonNullable<Status['details']>;

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    readonly code: number,
    /** A Kubernetes StatusReason, e.g. NotFound. */
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static fromStatus(status: Status, httpCode: number): KubeApiError {
    const code = status.code ?? httpCode;
    const message = status.message || `kubernetes API answered with HTTP ${httpCode}`;
    return new KubeApiError(code, status.reason || reasonForCode(code), message, status.details);
  }

  toStatus(): Status {
    return failureStatus(this.code, this.message, this.reason, this.details);
  }
}

/**
 * The error for a non-2xx answer. A non-Status body is left out of the message on purpose:
 * we cannot know what a proxy echoes, and a token must never reach an error message.
 */
export function errorFromResponse(httpCode: number, body: string, what: string): KubeApiError {
  const status = parseStatus(body);
  if (status) return KubeApiError.fromStatus(status, httpCode);
  return new KubeApiError(httpCode, reasonForCode(httpCode), `kubernetes API answered ${what} with HTTP ${httpCode}`);
}

export function unreachableError(cause: unknown, what: string): KubeApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new KubeApiError(503, 'ServiceUnavailable', `kubernetes API unreachable: ${detail} (${what})`, undefined, {
    cause,
  });
}

export function timeoutError(what: string, timeoutMs: number): KubeApiError {
  return new KubeApiError(504, 'Timeout', `kubernetes API did not answer ${what} within ${timeoutMs} ms`);
}

export function invalidJsonError(what: string): KubeApiError {
  return new KubeApiError(502, 'InternalError', `kubernetes API answered ${what} with a body that is not valid JSON`);
}
