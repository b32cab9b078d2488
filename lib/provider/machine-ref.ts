// Both routes name a machine by namespace and name; both are checked before they reach a
// backend, which may put them into a socket path.
import { invalidLabel, invalidSubdomain } from '../protocol/index.js';

/** Why (namespace, machine) is not a valid object reference, or undefined when it is. */
export function invalidMachineRef(namespace: string, machine: string): string | undefined {
  const namespaceError = invalidLabel(namespace);
  if (namespaceError) return `invalid namespace ${JSON.stringify(namespace)}: ${namespaceError}`;
  const machineError = invalidSubdomain(machine);
  if (machineError) return `invalid machine name ${JSON.stringify(machine)}: ${machineError}`;
  return undefined;
}
