// The gateway on a uWS app that listens on a private unix socket, for the listeners that must be
// node:tls because they demand a client certificate (this uWS build can neither require one nor
// show its subject). Only those listeners' relays reach the socket, so the gateway it serves may
// trust the X-Remote-* identity headers they pass on.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from './gateway.js';
import { loadUws, type UWS } from './uws.js';

export interface PrivateApp {
  readonly socketPath: string;
  /** Pipes `client` to the app both ways, after `prefix` (a rewritten request head). */
  relay(client: Socket, ...prefix: (Buffer | string)[]): void;
  /** Ends the relays still open and stops listening. */
  close(): void;
}

export async function listenPrivateApp(gateway: Gateway, purpose: string): Promise<PrivateApp> {
  const uws = loadUws();
  const dir = mkdtempSync(join(tmpdir(), `ironcore-console-${purpose}-`));
  const socketPath = join(dir, 'gateway.sock');
  const app = uws.App();
  gateway.attach(app);
  const listener = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen_unix((socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on ${socketPath}`))), socketPath),
  );
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
    close() {
      for (const client of relays) client.destroy();
      uws.us_listen_socket_close(listener);
      rmSync(dir, { recursive: true, force: true });
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
