// Serial console behind a TCP port: QEMU `-serial tcp:HOST:PORT,server=on,wait=off`, ser2net.
import type { ConsoleBackend } from '../backend.js';
import { machineLocator, type Locator } from './machine-locator.js';
import { connectConsoleSocket, DEFAULT_CONNECT_TIMEOUT_MS } from './socket-connect.js';
import { SocketConsoleStream } from './socket-console-stream.js';

export interface TcpAddress {
  host: string;
  port: number;
}

export interface TcpSerialBackendOptions {
  /** The console of a machine: a 'host:port' template such as '{machine}.{namespace}.consoles:7000' ('[::1]:7000' for IPv6), or a function. */
  address: string | Locator<TcpAddress>;
  /** How long a connect may take before the console counts as unavailable (default 5000). */
  connectTimeoutMs?: number;
}

/**
 * Opens a machine's console by connecting to its TCP port. A refused or slow connect rejects
 * with UnavailableError. The stream's end() does nothing (a serial line has no EOF).
 */
export function createTcpSerialBackend(options: TcpSerialBackendOptions): ConsoleBackend {
  const locate = machineLocator(options.address, parseAddress);
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return {
    async open(request) {
      const { host, port } = locate(request.namespace, request.machine);
      // Keystrokes are tiny writes; Nagle would hold each one back for an ACK.
      const target = { host, port, noDelay: true };
      const socket = await connectConsoleSocket(target, `${request.namespace}/${request.machine}`, timeoutMs);
      return new SocketConsoleStream(socket);
    },
  };
}

/** 'host:port' or '[v6-address]:port' → TcpAddress; throws on anything else. */
export function parseAddress(address: string): TcpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new Error(`console address ${JSON.stringify(address)} is not host:port`);
  }
  return { host: match[1] ?? match[2]!, port };
}
