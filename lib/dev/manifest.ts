// The dev stack's world, from YAML: Machines and MachinePools as IronCore defines them.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { Machine, MachinePool } from '../kube/index.js';
import { invalidLabel, invalidSubdomain } from '../protocol/index.js';

export interface DevWorld {
  pools: MachinePool[];
  machines: Machine[];
}

export async function loadManifest(path: string): Promise<DevWorld> {
  const world: DevWorld = { pools: [], machines: [] };
  for (const document of parseAllDocuments(await readFile(path, 'utf8'))) {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]!.message}`);
    const object = document.toJS() as Machine | MachinePool | null;
    if (!object) continue;
    const where = `${path}: ${object.kind} ${JSON.stringify(object.metadata?.name)}`;
    if (object.apiVersion !== 'compute.ironcore.dev/v1alpha1') throw new Error(`${where}: apiVersion must be compute.ironcore.dev/v1alpha1`);
    if (invalidSubdomain(object.metadata?.name ?? '')) throw new Error(`${where}: metadata.name must be a DNS-1123 subdomain`);
    if (object.kind === 'MachinePool') world.pools.push(object as MachinePool);
    else if (object.kind === 'Machine') {
      const machine = object as Machine;
      if (invalidLabel(machine.metadata.namespace ?? '')) throw new Error(`${where}: metadata.namespace must be a DNS-1123 label`);
      world.machines.push(machine);
    } else throw new Error(`${where}: only Machine and MachinePool objects belong in a dev manifest`);
  }
  return world;
}
