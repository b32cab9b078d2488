// The exec URL of a machine on the gateway. The gateway is the cluster's server (it serves the
// aggregated API path), so a server URL with a path prefix (a proxy in front) keeps it.
import { GATEWAY_EXEC_ROUTE, encodeExecQuery, invalidLabel, invalidSubdomain, type ExecQuery } from '../protocol/index.js';
import { ExecError } from './failures.js';

const SCHEMES: Record<string, string> = { 'https:': 'wss:', 'http:': 'ws:', 'wss:': 'wss:', 'ws:': 'ws:' };

/** Throws a usage ExecError unless the machine name (and the namespace, when known) are valid. */
export function checkNames(machine: string, namespace?: string): void {
  const badMachine = invalidSubdomain(machine);
  if (badMachine) throw new ExecError('usage', `invalid machine name ${JSON.stringify(machine.slice(0, 80))}: ${badMachine}`);
  const badNamespace = namespace === undefined ? undefined : invalidLabel(namespace);
  if (badNamespace) throw new ExecError('usage', `invalid namespace ${JSON.stringify(namespace!.slice(0, 80))}: ${badNamespace}`);
}

/** Checks the names first: nothing user-typed goes into a path unchecked. */
export function execUrl(server: string, namespace: string, machine: string, query: ExecQuery): URL {
  checkNames(machine, namespace);

  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ExecError('usage', `server ${JSON.stringify(server)} is not a URL; use https://HOST[:PORT]`);
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) throw new ExecError('usage', `server ${JSON.stringify(server)} must be an https:// (or http://) URL`);
  url.protocol = scheme;
  const path = GATEWAY_EXEC_ROUTE.replace(':namespace', namespace).replace(':machine', machine);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  url.search = encodeExecQuery(query);
  url.hash = '';
  return url;
}
