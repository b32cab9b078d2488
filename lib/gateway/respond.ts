// HTTP answers before the upgrade: a Kubernetes Status body with the matching code.
import { StatusError, failureStatus, type Status } from '../protocol/index.js';
import type { UWS } from './uws.js';

const STATUS_LINES: Record<number, string> = {
  200: '200 OK',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

export function statusLine(code: number): string {
  return STATUS_LINES[code] ?? `${code} Error`;
}

/** Any error as a Status: StatusErrors and Kubernetes API errors keep their code. */
export function toStatus(error: unknown): Status {
  if (error instanceof StatusError) return error.toStatus();
  const candidate = error as { code?: unknown; reason?: unknown; message?: unknown; toStatus?: () => Status };
  if (typeof candidate?.toStatus === 'function') return candidate.toStatus();
  if (typeof candidate?.code === 'number' && candidate.code >= 400 && candidate.code < 600 && typeof candidate.message === 'string') {
    return failureStatus(candidate.code, candidate.message, typeof candidate.reason === 'string' ? candidate.reason : undefined);
  }
  return failureStatus(500, 'internal error');
}

/** Writes a Status response. Call inside res.cork() when not in the handler's first tick. */
export function writeStatus(res: UWS.HttpResponse, status: Status, headers: Record<string, string> = {}): void {
  res.writeStatus(statusLine(status.code ?? 500)).writeHeader('Content-Type', 'application/json');
  for (const [key, value] of Object.entries({ ...headers, ...statusHeaders(status) })) res.writeHeader(key, value);
  res.end(JSON.stringify(status));
}

/** The headers a Status answer carries besides its body. */
export function statusHeaders(status: Status): Record<string, string> {
  // As kube-apiserver does: a Status that says when to retry says it in the header too.
  const retryAfter = status.details?.retryAfterSeconds;
  return retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
}
