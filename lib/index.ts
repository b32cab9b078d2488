/**
 * ironcore-console's libraries, each under its own name (two of them may name different things
 * alike). Each is also an entry point of its own, which is the usual way in:
 * `ironcore-console/gateway`, `/provider`, `/client`, `/kube` and `/protocol`.
 *
 * @example
 * ```js
 * import { gateway, provider } from 'ironcore-console';
 * const server = provider.createProviderServer({ backend, tls: { key, cert, ca } });
 * ```
 *
 * @module ironcore-console
 */
export * as gateway from './gateway/index.js';
export * as provider from './provider/index.js';
export * as client from './client/index.js';
export * as kube from './kube/index.js';
export * as protocol from './protocol/index.js';
