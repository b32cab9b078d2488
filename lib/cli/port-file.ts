// --port-file: tells a supervisor or a test which ports the OS picked, without parsing logs.
// One line per listener, "NAME HOST:PORT" (an IPv6 host in brackets), written once every
// listener is up, to a temporary name first and then renamed: a reader sees all or nothing.
import { renameSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';

export const PORT_FILE_FORMAT = 'one line per listener: NAME HOST:PORT (e.g. "public 0.0.0.0:8443")';

export function writePortFile(path: string, listeners: { name: string; host: string; port: number }[]): void {
  const lines = listeners.map(({ name, host, port }) => `${name} ${isIPv6(host) ? `[${host}]` : host}:${port}\n`);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, lines.join(''));
  renameSync(temporary, path);
}
