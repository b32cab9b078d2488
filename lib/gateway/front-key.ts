// The private uWS apps behind the HTTP fronts listen on loopback TCP (this uWS build loses bytes
// mid-frame when it writes to a unix socket under backpressure), where any local process could
// connect and claim an identity in X-Remote-*. So each app has a random key that only its fronts
// know and send on every request they pass on; a request without it is cut.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { UWS } from './uws.js';

/** The header a front passes its app's key in; a client's own is dropped (http-front.ts). */
export const FRONT_KEY_HEADER = 'x-ironcore-console-front-key';

export function newFrontKey(): string {
  return randomBytes(32).toString('base64url');
}

const ROUTE_METHODS = new Set(['get', 'post', 'options', 'del', 'patch', 'put', 'head', 'connect', 'trace', 'any']);

type RouteHandler = (res: UWS.HttpResponse, req: UWS.HttpRequest) => void | Promise<void>;
type UpgradeHandler = NonNullable<UWS.WebSocketBehavior<unknown>['upgrade']>;

/** `app`, whose every route (HTTP and websocket upgrade) mounted through it first checks `key`. */
export function requireFrontKey(app: UWS.TemplatedApp, key: string): UWS.TemplatedApp {
  const expected = Buffer.from(key);
  const sentKey = (req: UWS.HttpRequest) => {
    const sent = Buffer.from(req.getHeader(FRONT_KEY_HEADER));
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  };
  const guarded: UWS.TemplatedApp = new Proxy(app, {
    get(target, name) {
      const member = Reflect.get(target, name) as unknown;
      if (typeof member !== 'function') return member;
      if (typeof name === 'string' && ROUTE_METHODS.has(name)) {
        return (pattern: UWS.RecognizedString, handler: RouteHandler) => {
          (member as (pattern: UWS.RecognizedString, handler: RouteHandler) => void).call(target, pattern, (res, req) => {
            if (!sentKey(req)) return void res.close();
            return handler(res, req);
          });
          return guarded;
        };
      }
      if (name === 'ws') {
        return (pattern: UWS.RecognizedString, behavior: UWS.WebSocketBehavior<unknown>) => {
          const upgrade: UpgradeHandler = behavior.upgrade ?? defaultUpgrade;
          target.ws(pattern, {
            ...behavior,
            upgrade: (res, req, context) => {
              if (!sentKey(req)) return void res.close();
              return upgrade(res, req, context);
            },
          });
          return guarded;
        };
      }
      return (member as (...args: unknown[]) => unknown).bind(target);
    },
  });
  return guarded;
}

/** What uWS does for a websocket route without an upgrade handler. */
const defaultUpgrade: UpgradeHandler = (res, req, context) =>
  res.upgrade({}, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
