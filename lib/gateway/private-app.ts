// The gateway's uWS app on a private unix socket, behind the HTTP front (http-front.ts) that
// every node:http(s) listener puts before it: this uWS build upgrades only websockets and can
// neither demand a client certificate nor show its subject. Only the fronts reach the socket,
// so the relayed-identity gateway it serves may trust the X-Remote-* headers they pass on.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Gateway } from './gateway.js';
import { loadUws, type UWS } from './uws.js';

/** Where a front relays connections: a private app's socket, in this thread or another worker's. */
export interface RelayTarget {
  readonly socketPath: string;
  /** Pipes `client` to the app both ways, after `prefix` (a rewritten request head). */
  relay(client: Socket, ...prefix: (Buffer | string)[]): void;
}

export interface PrivateApp extends RelayTarget {
  /** Ends the relays still open and stops listening. */
  close(): void;
}

/** Serves `gateway` (after `mount`'s routes) on a unix socket: `socketPath`, or a new one in a private temporary folder. */
export async function listenPrivateApp(gateway: Gateway, purpose: string, socketPath?: string, mount?: (app: UWS.TemplatedApp) => void): Promise<PrivateApp> {
  const uws = loadUws();
  const path = socketPath ?? join(mkdtempSync(join(tmpdir(), `ironcore-console-${purpose}-`)), 'gateway.sock');
  const app = uws.App();
  mount?.(app);
  gateway.attach(app);
  const listener = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen_unix((socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on ${path}`))), path),
  );
  const target = relayTarget(path);
  return {
    ...target,
    close() {
      target.cutAll();
      uws.us_listen_socket_close(listener);
      if (socketPath) rmSync(path, { force: true });
      else rmSync(dirname(path), { recursive: true, force: true });
    },
  };
}

/** Relays to the private app listening on `socketPath`. */
export function relayTarget(socketPath: string): RelayTarget & { cutAll(): void } {
  const relays = new Set<Socket>();
  return {
    socketPath,
    relay(client, ...prefix) {
      relays.add(client);
      client.once('close', () => relays.delete(client));
      const inner = connect(socketPath);
      for (const bytes of prefix) if (bytes.length > 0) inner.write(bytes);
      client.pipe(inner).pipe(client);
      client.on('error', () => inner.destroy());
      inner.on('error', () => client.destroy());
      client.on('close', () => inner.destroy());
      inner.on('close', () => client.destroy());
    },
    cutAll() {
      for (const client of relays) client.destroy();
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
