// A provider with the synthetic backend, in its own process so its CPU time is its own.
// Every session gets its own console (sharing 'none'), as each bench session is one user.
import { readFileSync } from 'node:fs';
import { createLogger } from '../../lib/cli/logger.js';
import { createProviderServer } from '../../lib/provider/index.js';
import { createSyntheticBackend } from '../synthetic-backend.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface ProviderProcessOptions {
  /** mTLS with these files, or plain HTTP. */
  tls: { keyFile: string; certFile: string; caFile: string } | false;
}

export interface ProviderReady {
  port: number;
}

const options = childOptions<ProviderProcessOptions>();
const backend = createSyntheticBackend();
const server = createProviderServer({
  backend,
  tls: options.tls && {
    key: readFileSync(options.tls.keyFile),
    cert: readFileSync(options.tls.certFile),
    ca: readFileSync(options.tls.caFile),
  },
  sharing: 'none',
  logger: createLogger('error'),
});
const { port } = await server.listen(0, '127.0.0.1');
serveParent({ port } satisfies ProviderReady, { liveConsoles: () => backend.liveConsoles });
