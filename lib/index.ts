// ironcore-console's entry point: each library under its own name, because two of them may
// name different things alike. Each is also an entry point of its own: ironcore-console/gateway,
// /provider, /client, /kube and /protocol.
export * as gateway from './gateway/index.js';
export * as provider from './provider/index.js';
export * as client from './client/index.js';
export * as kube from './kube/index.js';
export * as protocol from './protocol/index.js';
