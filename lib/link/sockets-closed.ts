// The last step of a graceful close, the same for every server here: let the sockets still open
// finish on their own (a Status on its way to a slow client), for a bounded while.
import { once } from 'node:events';
import type { Socket } from 'node:net';

/** Resolves when every socket in `sockets` has closed or after `withinMs`, whichever comes first. */
export async function socketsClosed(sockets: Iterable<Socket>, withinMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
  await Promise.race([Promise.all([...sockets].map((socket) => (socket.closed ? undefined : once(socket, 'close')))), bound]);
  clearTimeout(timer);
}
