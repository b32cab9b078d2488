// The far end of a serial console socket, as QEMU or ser2net would be: a unix-socket or TCP
// server on loopback whose connections the test drives by hand.
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Where a console listens: a unix socket path, or a loopback TCP port. */
export type Endpoint = { path: string } | { host: string; port: number };

/** The endpoint a listening server actually got (the port, when 0 was asked for). */
export function boundEndpoint(address: string | AddressInfo | null): Endpoint {
  if (address === null) throw new Error('not listening');
  return typeof address === 'string' ? { path: address } : { host: address.address, port: address.port };
}

export class SerialPeer {
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  readonly #pending: Socket[] = [];
  readonly #waiting: ((socket: Socket) => void)[] = [];
  readonly endpoint: Endpoint;

  private constructor(server: Server) {
    this.#server = server;
    this.endpoint = boundEndpoint(server.address());
    server.on('connection', (socket) => {
      this.#connections.add(socket);
      socket.on('close', () => this.#connections.delete(socket));
      const waiter = this.#waiting.shift();
      if (waiter) waiter(socket);
      else this.#pending.push(socket);
    });
  }

  static async listen(endpoint: Endpoint): Promise<SerialPeer> {
    const server = createServer();
    server.listen(endpoint);
    await once(server, 'listening');
    return new SerialPeer(server);
  }

  /** The next connection made to this peer. */
  accept(): Promise<Socket> {
    const socket = this.#pending.shift();
    if (socket) return Promise.resolve(socket);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Stops listening and drops every connection (a unix socket's file goes with it). */
  async close(): Promise<void> {
    for (const socket of this.#connections) socket.destroy();
    this.#server.close();
    await once(this.#server, 'close');
  }
}
