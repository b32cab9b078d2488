// The IronCore compute resources the gateway reads, and their REST paths.

export interface ResourceType {
  group: string;
  version: string;
  /** Plural name as in the URL. */
  resource: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
}

export const MACHINES: ResourceType = {
  group: 'compute.ironcore.dev',
  version: 'v1alpha1',
  resource: 'machines',
  kind: 'Machine',
  listKind: 'MachineList',
  namespaced: true,
};

export const MACHINE_POOLS: ResourceType = {
  group: 'compute.ironcore.dev',
  version: 'v1alpha1',
  resource: 'machinepools',
  kind: 'MachinePool',
  listKind: 'MachinePoolList',
  namespaced: false,
};

export function apiVersionOf(type: ResourceType): string {
  return `${type.group}/${type.version}`;
}

/** The collection path, or an object's path when `name` is given. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  let path = `/apis/${type.group}/${type.version}`;
  if (type.namespaced && namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${type.resource}`;
  return name === undefined ? path : `${path}/${encodeURIComponent(name)}`;
}

/** The API's own message for a missing object, e.g. `machines.compute.ironcore.dev "x" not found`. */
export function notFoundMessage(type: ResourceType, name: string): string {
  return `${type.resource}.${type.group} "${name}" not found`;
}
