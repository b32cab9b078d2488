// All Machines, kept current by list+watch, so that resolving a machine costs no request: a
// new user opening a new machine then costs the API its two reviews only. Each machine is
// kept as the two fields the lookup reads, for memory: a fleet has thousands.
import type { KubeClient } from './client.js';
import { Reflector, type ReflectorOptions } from './reflector.js';
import { MACHINES } from './resources.js';
import type { Machine } from './types.js';

/** What the lookup needs of a Machine. */
export interface MachineRef {
  /** spec.machinePoolRef.name: unset while the machine is not scheduled. */
  pool?: string;
  uid?: string;
}

export function machineRefOf(machine: Machine): MachineRef {
  const ref: MachineRef = {};
  const pool = machine.spec?.machinePoolRef?.name;
  if (pool) ref.pool = pool;
  if (machine.metadata.uid) ref.uid = machine.metadata.uid;
  return ref;
}

export function machineKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export type MachineCacheOptions = ReflectorOptions;

export class MachineCache extends Reflector<Machine, MachineRef> {
  constructor(client: KubeClient, options: MachineCacheOptions = {}) {
    super(client, { resource: MACHINES, what: 'machine', keyOf: (m) => machineKey(m.metadata.namespace ?? '', m.metadata.name), project: machineRefOf }, options);
  }

  get(namespace: string, name: string): MachineRef | undefined {
    return this.getByKey(machineKey(namespace, name));
  }

  /** Drops a machine (e.g. its pool could not be reached) until the watch brings it again. */
  forget(namespace: string, name: string): void {
    this.forgetKey(machineKey(namespace, name));
  }
}
