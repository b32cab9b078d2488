// The dev stack's browser login: the printed link carries a one-time code in its fragment (which
// a browser never sends to a server), the page trades it once for the developer's token with a
// POST to DEV_LOGIN_ROUTE and drops it from the address bar, so the token is in no URL, no
// server log and no history entry, and nobody has to paste it. Dev only: the gateway proper has
// no such route.
import { randomBytes } from 'node:crypto';
import { writeStatus } from '../gateway/respond.js';
import type { UWS } from '../gateway/uws.js';
import { failureStatus, type Status } from '../protocol/index.js';

export const DEV_LOGIN_ROUTE = '/console/login';

/** How long a printed code stays good if nobody uses it. */
const CODE_TTL_MS = 15 * 60_000;
/** A code is 22 characters; more is not a code. */
const MAX_BODY_BYTES = 256;

export class DevLoginCodes {
  /** code → when it expires. */
  private readonly codes = new Map<string, number>();

  constructor(private readonly token: string) {}

  /** A fresh code, good for one login. */
  issue(): string {
    const code = randomBytes(16).toString('base64url');
    this.codes.set(code, Date.now() + CODE_TTL_MS);
    return code;
  }

  /** The token for a good code, which is then spent; undefined for any other. */
  redeem(code: string): string | undefined {
    const expires = this.codes.get(code);
    this.codes.delete(code);
    return expires !== undefined && expires > Date.now() ? this.token : undefined;
  }

  /** POST DEV_LOGIN_ROUTE with the code as the body: 200 {"token"} once, 403 Status otherwise. */
  mount(app: UWS.TemplatedApp): void {
    app.post(DEV_LOGIN_ROUTE, (res) => {
      let aborted = false;
      let body = Buffer.alloc(0);
      res.onAborted(() => (aborted = true));
      res.onData((chunk, last) => {
        if (aborted) return;
        if (body.length + chunk.byteLength > MAX_BODY_BYTES) {
          aborted = true;
          return answer(res, failureStatus(400, 'a login code is a short text'));
        }
        body = Buffer.concat([body, Buffer.from(new Uint8Array(chunk))]); // uWS reclaims chunk after this callback
        if (!last) return;
        const token = this.redeem(body.toString('utf8').trim());
        answer(res, token ? { token } : failureStatus(403, 'this login code is unknown, used or expired; open the link `ironcore-console dev` printed last, or paste the token', 'Forbidden'));
      });
    });
  }
}

/** The token, or a Status; never cached. */
function answer(res: UWS.HttpResponse, body: Status | { token: string }): void {
  res.cork(() => {
    if ('token' in body) res.writeHeader('Content-Type', 'application/json').writeHeader('Cache-Control', 'no-store').end(JSON.stringify(body));
    else writeStatus(res, body, { 'Cache-Control': 'no-store' });
  });
}
