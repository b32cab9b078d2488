// The gateway's uWS app on a private loopback port, behind the HTTP front (http-front.ts) that
// every node:http(s) listener puts before it: this uWS build upgrades only websockets and can
// neither demand a client certificate nor show its subject. Only the fronts know the app's key
// (front-key.ts), so the relayed-identity gateway it serves may trust the X-Remote-* headers
// they pass on. Loopback TCP, not a unix socket: this uWS build loses bytes mid-frame when a
// unix socket it writes to is under backpressure (test/gateway/front-relay.test.ts).
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Gateway } from './gateway.js';
import { newFrontKey, requireFrontKey } from './front-key.js';
import { closeApp, loadUws, type UWS } from './uws.js';

const LOOPBACK = '127.0.0.1';
const FLUSH_MS = 10_000;

/** Where a private app listens and the key it demands: what a front in another thread needs. */
export interface PrivateAddress {
  readonly port: number;
  readonly key: string;
}

/** Where a front relays connections: a private app, in this thread or another worker's. */
export interface RelayTarget extends PrivateAddress {
  readonly host: string;
  /** Pipes `client` to the app both ways, after `prefix` (a rewritten request head). */
  relay(client: Socket, ...prefix: (Buffer | string)[]): void;
}

export interface PrivateApp extends RelayTarget {
  /**
   * Stops listening and ends every connection at once (each relay then ends its client after
   * what it already read). What the app and the kernel still hold for a connection is lost:
   * close the fronts first.
   */
  close(): void;
}

/** Serves `gateway` (after `mount`'s routes) on a loopback port the OS picks, demanding `key` (default: a new one). */
export async function listenPrivateApp(gateway: Gateway, key = newFrontKey(), mount?: (app: UWS.TemplatedApp) => void): Promise<PrivateApp> {
  const uws = loadUws();
  const app = uws.App();
  const guarded = requireFrontKey(app, key);
  mount?.(guarded);
  gateway.attach(guarded);
  const listener = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen(LOOPBACK, 0, (socket) => (socket ? resolve(socket) : reject(new Error(`the private app cannot listen on ${LOOPBACK}`)))),
  );
  return { ...relayTarget({ port: uws.us_socket_local_port(listener), key }), close: () => closeApp(app) };
}

/** Relays to the private app at `address`. */
export function relayTarget(address: PrivateAddress): RelayTarget {
  return {
    host: LOOPBACK,
    port: address.port,
    key: address.key,
    relay(client, ...prefix) {
      // No Nagle delay on the hop: a typed key is one small websocket frame each way.
      const inner = connect({ host: LOOPBACK, port: address.port, noDelay: true });
      for (const bytes of prefix) if (bytes.length > 0) inner.write(bytes);
      client.pipe(inner).pipe(client);
      client.on('error', () => inner.destroy());
      client.on('close', () => inner.destroy());
      // The app's last bytes (a Status, the close frame) may still be on their way to a slow
      // client, also when the app reset its side: end the client after them (a pipe does not
      // when its source fails), and cut it if it never takes them.
      inner.on('error', () => {});
      inner.on('close', () => {
        client.end();
        const cut = setTimeout(() => client.destroy(), FLUSH_MS).unref();
        client.once('close', () => clearTimeout(cut));
      });
    },
  };
}

/** Listens and resolves with the port (the OS's choice for port 0). */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
