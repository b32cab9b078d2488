/// <reference lib="dom" />
// The machine picker: the namespace's Machines as the gateway lists them for this token (its
// own SubjectAccessReview, `list machines`), each a button with its pool and state.
import type { Status } from '../../protocol/status.js';
import { gatewayPrefix, machineListUrl } from './target.js';

interface MachineListItem {
  name: string;
  pool: string;
  state: string;
}

/** Fills `list` with the namespace's machines; `status` says how many, or why none. */
export async function showMachines(
  namespace: string,
  token: string,
  elements: { list: HTMLUListElement; status: HTMLElement },
  choose: (machine: string) => void,
): Promise<void> {
  const { list, status } = elements;
  list.replaceChildren();
  status.textContent = `Listing machines in ${namespace}…`;
  let items: MachineListItem[];
  try {
    const response = await fetch(machineListUrl(namespace, gatewayPrefix(location.pathname)), { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store', credentials: 'omit' });
    const body = (await response.json()) as Partial<Status> & { items?: MachineListItem[] };
    if (!response.ok || !Array.isArray(body.items)) {
      status.textContent = `Cannot list machines: ${body.message ?? `HTTP ${response.status}`}`;
      return;
    }
    items = body.items;
  } catch (error) {
    status.textContent = `Cannot list machines: ${(error as Error).message}`;
    return;
  }
  status.textContent = items.length === 0 ? `No machines in ${namespace}.` : `${items.length} machine${items.length === 1 ? '' : 's'} in ${namespace}:`;
  for (const item of items) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.machine = item.name;
    button.append(span('name', item.name), span('pool', item.pool ? `pool ${item.pool}` : 'no pool'), span('state', item.state || 'state unknown'));
    (button.lastElementChild as HTMLElement).dataset.state = item.state;
    button.addEventListener('click', () => choose(item.name));
    const entry = document.createElement('li');
    entry.append(button);
    list.append(entry);
  }
}

function span(className: string, text: string): HTMLSpanElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}
