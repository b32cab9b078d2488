// Refusing an HTTP upgrade on the raw socket node:http hands to 'upgrade' listeners: a plain
// HTTP response with a Kubernetes Status body, as every error before an upgrade is answered.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Status } from '../protocol/index.js';

/** Answers `status` (which carries its code), with `headers` besides, and ends the socket. */
export function refuseUpgrade(socket: Duplex, status: Status, headers: Record<string, string> = {}): void {
  const code = status.code ?? 500;
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
