// A listening socket that never accepts, to make a console connect hang or be refused for a
// full backlog (as a wedged QEMU would): a worker thread listens with a backlog of 1 and then
// blocks its own event loop, so the kernel's accept queue fills and stays full.
import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { boundEndpoint, type Endpoint } from './serial-peer.js';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require('node:net').createServer();
server.listen({ ...workerData.listen, backlog: 1 }, () => {
  parentPort.postMessage(server.address());
  Atomics.wait(new Int32Array(workerData.release), 0, 0);
  server.close();
});
`;

const FILL_ATTEMPT_MS = 300;

export class StalledListener {
  readonly #worker: Worker;
  readonly #release: Int32Array;
  readonly #fillers: Socket[] = [];
  readonly endpoint: Endpoint;

  private constructor(worker: Worker, release: Int32Array, endpoint: Endpoint) {
    this.#worker = worker;
    this.#release = release;
    this.endpoint = endpoint;
  }

  /** Listens at `endpoint` and fills the accept queue. */
  static async start(endpoint: Endpoint): Promise<StalledListener> {
    const release = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER, { eval: true, workerData: { listen: endpoint, release } });
    const [address] = (await once(worker, 'message')) as [string | AddressInfo];
    const listener = new StalledListener(worker, new Int32Array(release), boundEndpoint(address));
    await listener.#fill();
    return listener;
  }

  /** Connects until a connect no longer completes: from then on, nobody gets in. */
  async #fill(): Promise<void> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const socket = connect(this.endpoint);
      socket.on('error', () => {});
      this.#fillers.push(socket);
      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), FILL_ATTEMPT_MS);
        const settle = (value: boolean) => () => {
          clearTimeout(timer);
          resolve(value);
        };
        socket.once('connect', settle(true));
        socket.once('error', settle(false));
      });
      if (!connected) return;
    }
    throw new Error('the accept queue never filled');
  }

  async close(): Promise<void> {
    for (const socket of this.#fillers) socket.destroy();
    Atomics.store(this.#release, 0, 1);
    Atomics.notify(this.#release, 0);
    await once(this.#worker, 'exit');
  }
}
