// A load generator process: opens console sessions from its own source address and drives
// them as its parent asks. It is never the gateway's process, so the client side's CPU time is
// not charged to the gateway; several of these spread a load over processes and addresses.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import { readBulk, type BulkJob } from '../load/bulk-reader.js';
import type { ClientSession } from '../load/client-session.js';
import { openSessions, type OpenJob } from '../load/opener.js';
import { stallAfterReading, type StallJob } from '../load/stalled-reader.js';
import type { Target } from '../load/target.js';
import { typeInto, type TypeJob } from '../load/typist.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface LoadGeneratorOptions {
  /** The source address of every connection, e.g. 127.0.0.11. */
  localAddress: string;
}

const CLOSE_TIMEOUT_MS = 5000;

const { localAddress } = childOptions<LoadGeneratorOptions>();
/** Sessions opened and kept, in the order they opened, for the next driver. */
let held: ClientSession[] = [];
const contexts = new Map<string, SecureContext>();

function secureContextFor(target: Target): SecureContext | undefined {
  if (!target.tls) return undefined;
  const { caFile, certFile, keyFile } = target.tls;
  const key = `${caFile} ${certFile} ${keyFile}`;
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) });
    contexts.set(key, context);
  }
  return context;
}

serveParent({ localAddress }, {
  open: (job: OpenJob) => {
    const secureContext = secureContextFor(job.target);
    return openSessions(job, { localAddress, ...(secureContext ? { secureContext } : {}) }, (session) => held.push(session));
  },
  bulk: (job: BulkJob) => readBulk(held, job),
  type: (job: TypeJob) => typeInto(held, job),
  stall: (job: StallJob) => stallAfterReading(held, job),
  openCount: () => held.filter((session) => session.isOpen).length,
  closeAll: async () => {
    const sessions = held;
    held = [];
    await Promise.all(sessions.map((session) => session.close(CLOSE_TIMEOUT_MS)));
    return sessions.length;
  },
});
