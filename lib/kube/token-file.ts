// Bearer tokens kept in files rotate (projected service-account tokens are rewritten about
// hourly), so the file is read again after a short cache instead of once at start.
import { readFileSync } from 'node:fs';

export interface FileTokenOptions {
  /** How long a read token is used before the file is read again. */
  cacheMs?: number;
}

/** A token source for KubeConfig.token; throws only when the first read fails. */
export function fileTokenSource(path: string, options: FileTokenOptions = {}): () => string {
  const cacheMs = options.cacheMs ?? 1000;
  let token: string;
  try {
    token = readToken(path);
  } catch (err) {
    throw new Error(`cannot read token file: ${(err as Error).message}`, { cause: err });
  }
  let readAt = Date.now();
  return () => {
    if (Date.now() - readAt < cacheMs) return token;
    readAt = Date.now();
    try {
      token = readToken(path);
    } catch {
      // Keep the last good token: rotation replaces the file, a moment without it is normal.
    }
    return token;
  };
}

function readToken(path: string): string {
  return readFileSync(path, 'utf8').trim();
}
