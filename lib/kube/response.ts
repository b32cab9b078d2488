// Reading and checking an API response body.
import type { IncomingMessage } from 'node:http';
import { errorFromResponse, invalidJsonError } from './errors.js';

/**
 * The whole body as text. Plain listeners, not `for await`: an async iterator costs a stream
 * its end-of-stream and abort-signal machinery, a measurable share of a small answer's CPU.
 */
export function readBody(message: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.once('end', () => resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')));
    // node:http reports a body cut short as an 'error' (ECONNRESET, "aborted").
    message.once('error', reject);
  });
}

/** The parsed body of a 2xx answer; a KubeApiError for any other. */
export async function readJson<T>(res: IncomingMessage, what: string): Promise<T> {
  const body = await readBody(res);
  const code = res.statusCode ?? 0;
  if (code < 200 || code >= 300) throw errorFromResponse(code, body, what);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw invalidJsonError(what);
  }
}
