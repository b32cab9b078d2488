// Connecting to a machine's console socket (unix or TCP), with the failures a gateway can
// report: no socket at all is 404, a socket nobody answers on (QEMU gone, stale socket file,
// connect timeout) is 503.
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { NotFoundError, UnavailableError, type ConsoleError } from '../backend.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Resolves with the connected socket, or rejects with a NotFoundError / UnavailableError whose
 * message names the machine (`namespace/name`) and not the socket, which users need not see;
 * the socket error is kept as the `cause` for logs.
 */
export function connectConsoleSocket(target: NetConnectOpts, machine: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UnavailableError(`console of machine ${machine} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(connectError(error, machine));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function connectError(error: NodeJS.ErrnoException, machine: string): ConsoleError {
  const mapped =
    error.code === 'ENOENT'
      ? new NotFoundError(`no console socket for machine ${machine}`)
      : new UnavailableError(`console of machine ${machine} is unavailable (${error.code ?? error.message})`);
  mapped.cause = error;
  return mapped;
}
