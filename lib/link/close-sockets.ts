// The last step of a graceful close, the same for every server here: let the sockets still open
// finish on their own (a Status on its way to a slow client), for a bounded while, then cut them.
import { once } from 'node:events';
import type { Socket } from 'node:net';

/** Waits until every socket in `sockets` has closed or `withinMs` has passed, then destroys those left. */
export async function closeSockets(sockets: Iterable<Socket>, withinMs: number): Promise<void> {
  if (withinMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    await Promise.race([Promise.all([...sockets].map((socket) => (socket.closed ? undefined : once(socket, 'close')))), bound]);
    clearTimeout(timer);
  }
  for (const socket of sockets) socket.destroy();
}
