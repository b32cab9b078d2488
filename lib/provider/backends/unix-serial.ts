// Serial console behind a unix socket: QEMU `-serial unix:PATH,server=on,wait=off`, libvirt
// `<serial type='unix'><source mode='bind' path=.../>`.
import type { ConsoleBackend } from '../backend.js';
import { machineLocator, type Locator } from './machine-locator.js';
import { connectConsoleSocket, DEFAULT_CONNECT_TIMEOUT_MS } from './socket-connect.js';
import { SocketConsoleStream } from './socket-console-stream.js';

export interface UnixSerialBackendOptions {
  /** The socket of a machine: a template such as '/run/consoles/{namespace}/{machine}.sock', or a function. */
  path: string | Locator<string>;
  /** How long a connect may take before the console counts as unavailable (default 5000). */
  connectTimeoutMs?: number;
}

/**
 * Opens a machine's console by connecting to its socket. A missing socket rejects with
 * NotFoundError, a refused or slow one with UnavailableError. The stream's end() does nothing
 * (a serial line has no EOF; see SocketConsoleStream).
 */
export function createUnixSerialBackend(options: UnixSerialBackendOptions): ConsoleBackend {
  const locate = machineLocator(options.path, (path) => path);
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return {
    async open(request) {
      const path = locate(request.namespace, request.machine);
      const socket = await connectConsoleSocket({ path }, `${request.namespace}/${request.machine}`, timeoutMs);
      return new SocketConsoleStream(socket);
    },
  };
}
