// Which address and port of a MachinePool the gateway dials, chosen as IronCore's
// machinepoollet chooses the address it serves on.
import { KubeApiError } from './errors.js';
import type { MachinePool } from './types.js';

export const DEFAULT_ADDRESS_PREFERENCE: readonly string[] = [
  'Hostname',
  'InternalDNS',
  'InternalIP',
  'ExternalDNS',
  'ExternalIP',
];

export const DEFAULT_MACHINEPOOLLET_PORT = 12319;

/** The first address of the first preferred type the pool has. */
export function preferredAddress(pool: MachinePool, preference: readonly string[]): string {
  const addresses = pool.status?.addresses ?? [];
  for (const type of preference) {
    const match = addresses.find((address) => address.type === type);
    if (match) return match.address;
  }
  // Go's %v of the address list, so the message matches IronCore's own.
  const known = addresses.map(({ type, address }) => `{${type} ${address}}`).join(' ');
  throw new KubeApiError(503, 'ServiceUnavailable', `no preferred addresses found; known addresses: [${known}]`);
}

export function machinepoolletPort(pool: MachinePool, defaultPort: number): number {
  return pool.status?.daemonEndpoints?.machinepoolletEndpoint?.port || defaultPort;
}
