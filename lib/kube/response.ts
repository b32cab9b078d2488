// Reading and checking an API response body.
import type { IncomingMessage } from 'node:http';
import { errorFromResponse, invalidJsonError } from './errors.js';

export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
