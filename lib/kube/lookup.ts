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
import { machineKey, machineRefOf, type MachineCache, type MachineRef } from './machine-cache.js';
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
  /**
   * Watched machines; a machine it does not have (not synced yet, just created, forgotten by
   * invalidate) or has without a pool (just scheduled?) is fetched by GET, never taken as absent.
   */
  machines?: MachineCache;
  /** Address types in order of preference. */
  addressPreference?: readonly string[];
  /** Port when the pool announces none. */
  defaultPort?: number;
  /** How long a Machine fetched by GET is reused; 0 fetches it for every resolve not in flight. */
  machineTtlMs?: number;
  timeoutMs?: number;
}

/** Machine → MachinePool → provider address, with concurrent lookups of one machine coalesced. */
export class MachineLookup {
  private readonly fetchedMachines = new CoalescingCache<string, MachineRef>();
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
    const watched = this.options.machines?.get(namespace, name);
    const machine = watched?.pool ? watched : await this.fetchMachine(namespace, name);
    const poolName = machine.pool;
    if (!poolName) throw new KubeApiError(400, 'BadRequest', `machine ${name} has no machine pool assigned`);
    const pool = this.options.pools?.get(poolName) ?? (await this.fetchPool(poolName));
    const target: MachineTarget = {
      pool: poolName,
      address: preferredAddress(pool, this.addressPreference),
      port: machinepoolletPort(pool, this.defaultPort),
    };
    if (machine.uid) target.machineUID = machine.uid;
    return target;
  }

  /** The namespace's Machines, fetched now (the console page's picker asks rarely). */
  async list(namespace: string): Promise<Machine[]> {
    const path = resourcePath(MACHINES, namespace);
    const list = await this.client.get<{ items?: Machine[] }>(path, { timeoutMs: this.options.timeoutMs });
    if (!Array.isArray(list?.items)) throw new KubeApiError(502, 'InternalError', `kubernetes API answered GET ${path} with something that is not a MachineList`);
    return list.items;
  }

  /** Drops the cached Machine, e.g. after its pool could not be reached: the next resolve GETs it. */
  invalidate(namespace: string, name: string): void {
    this.fetchedMachines.delete(machineKey(namespace, name));
    this.options.machines?.forget(namespace, name);
  }

  private fetchMachine(namespace: string, name: string): Promise<MachineRef> {
    const path = resourcePath(MACHINES, namespace, name);
    return this.fetchedMachines.get(
      machineKey(namespace, name),
      () => this.client.get<Machine>(path, { timeoutMs: this.options.timeoutMs }).then((m) => machineRefOf(object(m, path, 'Machine'))),
      () => this.machineTtlMs,
    );
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
