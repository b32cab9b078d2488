/// <reference lib="dom" />
// The dev stack's one-time login (lib/dev/login-codes.ts): the code from the link is traded
// once for the token, in a POST body, never a URL. Any other gateway has no such route and
// answers 404, which says the same as a used code: paste the token.
import type { Status } from '../../protocol/status.js';

// Relative: the page is at /console/, the route beside it.
const LOGIN_PATH = 'login';

/** The token, or why there is none. */
export async function redeemLoginCode(code: string): Promise<{ token: string } | { error: string }> {
  try {
    const response = await fetch(LOGIN_PATH, { method: 'POST', body: code, cache: 'no-store', credentials: 'omit' });
    const body = (await response.json()) as Partial<Status> & { token?: string };
    if (response.ok && typeof body.token === 'string') return { token: body.token };
    return { error: body.message ?? `the login failed (HTTP ${response.status})` };
  } catch (error) {
    return { error: `the login failed: ${(error as Error).message}` };
  }
}
