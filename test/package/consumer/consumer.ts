// An embedder's TypeScript against the installed package: every entry point's types resolve,
// and the embedding API reads as documented (test/package/examples.test.ts compiles this).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import * as everything from 'ironcore-console';
import { resolveConnection } from 'ironcore-console/client';
import { createGateway, createUpstream, loadUws, type Authenticator, type Authorizer, type MachineResolver, type MountOptions } from 'ironcore-console/gateway';
import { KubeClient } from 'ironcore-console/kube';
import { StatusError, parseStatus } from 'ironcore-console/protocol';
import { NotFoundError, createProviderHandler, type ConsoleBackend, type ProviderHandler } from 'ironcore-console/provider';

const authenticator: Authenticator = { authenticate: async () => ({ username: 'alice' }) };
const authorizer: Authorizer = {
  authorize: async (user) => {
    if (user.username !== 'alice') throw new StatusError(403, 'no');
  },
};
const lookup: MachineResolver = { resolve: async () => ({ address: '127.0.0.1', port: 12319 }) };
const gateway = createGateway({ lookup, authenticator, authorizer, upstream: createUpstream({ tls: false }) });
const mount: MountOptions = { prefix: '/consoles' };
const app = loadUws().App();
gateway.mountExec(app, mount);
gateway.mountOps(app, mount);
gateway.mountPage(app, mount);

const backend: ConsoleBackend = {
  open: async ({ machine }) => {
    throw new NotFoundError(machine);
  },
};
const provider: ProviderHandler = createProviderHandler({ backend });
export function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  if (provider.handles(req)) provider.handleUpgrade(req, socket, head);
}

export const used = [everything.gateway.createGateway, resolveConnection, KubeClient, parseStatus];
