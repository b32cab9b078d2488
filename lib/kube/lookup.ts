// Machine → MachinePool → the pool provider's address: what the gateway dials for a session.
import {
  DEFAULT_ADDRESS_PREFERENCE,
  DEFAULT_MACHINEPOOLLET_PORT,
  machinepoolletPort,
  preferredAddress,
} from './addresses.js';
import type { KubeClient } from './client.js';
import { CoalescingCache } from './coalescing-cache.js';
import { KubeApiError } from './errors.js';
import type { MachinePoolCache } from './pool-cache.js';
import { MACHINE_POOLS, MACHINES, resourcePath } from './resources.js';
import type { Machine, MachinePool } from './types.js';

/** Where a Machine's console is served: its pool's provider. */
export interface MachineTarget {
  pool: string;
  address: string;
  port: number;
  machineUID?: string;
}

/** How MachineLookup finds pools and picks their addresses. */
export interface MachineLookupOptions {
  /** Watched pools; without it (or before it synced, or on a miss) pools are fetched by GET. */
  pools?: MachinePoolCache;
  /** Address types in order of preference. */
  addressPreference?: readonly string[];
  /** Port when the pool announces none. */
  defaultPort?: number;
  /** How long a fetched Machine is reused; 0 fetches it for every resolve not in flight. */
  machineTtlMs?: number;
  timeoutMs?: number;
}

/** Machine → MachinePool → provider address, with concurrent lookups of one machine coalesced. */
export class MachineLookup {
  private readonly machines = new CoalescingCache<string, Machine>();
  private readonly fetchedPools = new CoalescingCache<string, MachinePool>();
  private readonly addressPreference: readonly string[];
  private readonly defaultPort: number;
  private readonly machineTtlMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: MachineLookupOptions = {},
  ) {
    this.addressPreference = options.addressPreference ?? DEFAULT_ADDRESS_PREFERENCE;
    this.defaultPort = options.defaultPort ?? DEFAULT_MACHINEPOOLLET_PORT;
    this.machineTtlMs = options.machineTtlMs ?? 0;
  }

  /** Rejects with a KubeApiError whose code and reason suit the gateway's answer. */
  async resolve(namespace: string, name: string): Promise<MachineTarget> {
    const path = resourcePath(MACHINES, namespace, name);
    const machine = await this.machines.get(
      machineKey(namespace, name),
      () => this.client.get<Machine>(path, { timeoutMs: this.options.timeoutMs }).then((m) => object(m, path, 'Machine')),
      () => this.machineTtlMs,
    );
    const poolName = machine.spec?.machinePoolRef?.name;
    if (!poolName) throw new KubeApiError(400, 'BadRequest', `machine ${name} has no machine pool assigned`);
    const pool = this.options.pools?.get(poolName) ?? (await this.fetchPool(poolName));
    const target: MachineTarget = {
      pool: poolName,
      address: preferredAddress(pool, this.addressPreference),
      port: machinepoolletPort(pool, this.defaultPort),
    };
    if (machine.metadata.uid) target.machineUID = machine.metadata.uid;
    return target;
  }

  /** The namespace's Machines, fetched now (the console page's picker asks rarely). */
  async list(namespace: string): Promise<Machine[]> {
    const path = resourcePath(MACHINES, namespace);
    const list = await this.client.get<{ items?: Machine[] }>(path, { timeoutMs: this.options.timeoutMs });
    if (!Array.isArray(list?.items)) throw new KubeApiError(502, 'InternalError', `kubernetes API answered GET ${path} with something that is not a MachineList`);
    return list.items;
  }

  /** Drops the cached Machine, e.g. after its pool could not be reached. */
  invalidate(namespace: string, name: string): void {
    this.machines.delete(machineKey(namespace, name));
  }

  private fetchPool(name: string): Promise<MachinePool> {
    const path = resourcePath(MACHINE_POOLS, undefined, name);
    return this.fetchedPools.get(
      name,
      () => this.client.get<MachinePool>(path, { timeoutMs: this.options.timeoutMs }).then((p) => object(p, path, 'MachinePool')),
      () => 0,
    );
  }
}

/** The API answered with JSON that is not an object of that kind (e.g. `null`): a 502, never cached. */
function object<T extends { metadata?: unknown }>(value: T, path: string, kind: string): T {
  if (typeof value !== 'object' || value === null || typeof value.metadata !== 'object' || value.metadata === null) {
    throw new KubeApiError(502, 'InternalError', `kubernetes API answered GET ${path} with something that is not a ${kind}`);
  }
  return value;
}

function machineKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
