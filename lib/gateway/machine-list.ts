// The console page's machine picker: GET MACHINE_LIST_ROUTE lists a namespace's Machines with
// their pool and state. The caller is authenticated as for exec (bearer token) and authorized
// with their own SubjectAccessReview, `list` on machines in that namespace; the gateway then
// reads the list with its own credentials and answers only names, pools and states.
import type { Logger } from 'pino';
import type { Machine } from '../kube/index.js';
import { StatusError, bearerTokenOf, invalidLabel } from '../protocol/index.js';
import type { Authenticator, Authorizer } from './auth.js';
import type { Credentials } from './exec-request.js';
import type { MachineResolver } from './gateway.js';
import { toStatus, writeStatus } from './respond.js';
import type { UWS } from './uws.js';

export const MACHINE_LIST_ROUTE = '/apis/console.ironcore.dev/v1/namespaces/:namespace/machines';

/** One picker entry. */
export interface MachineListItem {
  name: string;
  /** The MachinePool it runs on; empty when unscheduled. */
  pool: string;
  /** status.state, e.g. Running; empty when the machine reports none. */
  state: string;
}

export interface MachineListOptions {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Where the Machines come from (the gateway's MachineLookup); without it the route is not mounted. */
  lookup: MachineResolver;
  logger: Logger;
}

/** Mounts MACHINE_LIST_ROUTE (after `prefix`) on `app` when the lookup can list. */
export function mountMachineList(app: UWS.TemplatedApp, options: MachineListOptions, prefix = ''): void {
  const { lookup } = options;
  if (!lookup.list) return;
  const list = lookup.list.bind(lookup);
  app.get(prefix + MACHINE_LIST_ROUTE, (res, req) => {
    // Everything from req now: it is gone after the first await.
    const namespace = req.getParameter(0);
    const token = bearerTokenOf(req.getHeader('authorization'));
    const credentials: Credentials = token ? { token } : {};
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const answer = (write: () => void) => !aborted && res.cork(write);
    void (async () => {
      try {
        const bad = invalidLabel(namespace);
        if (bad) throw new StatusError(400, `invalid namespace ${JSON.stringify(namespace.slice(0, 80))}: ${bad}`);
        const user = await options.authenticator.authenticate(credentials);
        if (!options.authorizer.authorizeList) throw new StatusError(403, 'this gateway does not allow listing machines');
        await options.authorizer.authorizeList(user, namespace);
        const items = (await list(namespace)).map(listItem).sort((a, b) => a.name.localeCompare(b.name));
        answer(() => res.writeHeader('Content-Type', 'application/json').writeHeader('Cache-Control', 'no-store').end(JSON.stringify({ items })));
      } catch (error) {
        const status = toStatus(error);
        if (status.code === 500) options.logger.error({ err: error, namespace }, 'machine list failed unexpectedly');
        answer(() => writeStatus(res, status, { 'Cache-Control': 'no-store' }));
      }
    })();
  });
}

function listItem(machine: Machine): MachineListItem {
  return {
    name: machine.metadata.name ?? '',
    pool: machine.spec?.machinePoolRef?.name ?? '',
    state: machine.status?.state ?? '',
  };
}
