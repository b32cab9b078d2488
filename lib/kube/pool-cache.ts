// All MachinePools, kept current by list+watch, so resolving a machine costs one GET at most:
// pools are few, change rarely, and every session needs one. Kept whole: the address rules
// (addresses.ts) read their status.
import type { KubeClient } from './client.js';
import { Reflector, type ReflectorOptions } from './reflector.js';
import { MACHINE_POOLS } from './resources.js';
import type { MachinePool } from './types.js';

export type MachinePoolCacheOptions = ReflectorOptions;

export class MachinePoolCache extends Reflector<MachinePool, MachinePool> {
  constructor(client: KubeClient, options: MachinePoolCacheOptions = {}) {
    super(client, { resource: MACHINE_POOLS, what: 'machine pool', keyOf: (pool) => pool.metadata.name, project: (pool) => pool }, options);
  }

  get(name: string): MachinePool | undefined {
    return this.getByKey(name);
  }
}
