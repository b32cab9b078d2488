// Exponential backoff with jitter, so that many gateways that lost the API server at the same
// moment do not all come back at the same moment.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

/** The wait before retry number `attempt` (1-based): half fixed, half random. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initialMs = options.initialMs ?? 250;
  const maxMs = options.maxMs ?? 30_000;
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return base / 2 + (random() * base) / 2;
}
