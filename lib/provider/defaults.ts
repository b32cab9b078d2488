// The provider's defaults, each written once: createProviderHandler and createProviderServer
// apply them to the options left out, the config file (config.ts) to the keys left out, in its
// own units, and its documented example (PROVIDER_CONFIG_EXAMPLE) prints them from here.
import type { SharingMode } from './console-registry.js';

export const PROVIDER_DEFAULTS = {
  /** The config file's is 'none' for the pty backend (config.ts): a shell per session. */
  sharing: 'shared' as SharingMode,
  scrollbackBytes: 64 * 1024,
  sessionHighWaterBytes: 256 * 1024,
  stallTimeoutMs: 30_000,
  /** A console closes with its last session unless asked to linger. */
  lingerMs: 0,
  pingIntervalMs: 20_000,
  pingTimeoutMs: 60_000,
  shutdownGraceMs: 5000,
} as const;

/**
 * A deployed provider's linger (the config file's, the dev stack's): gateway replicas are
 * stateless, so a shared console outlives its last session long enough for a client whose
 * replica went away to reconnect to it through another.
 */
export const DEPLOYED_LINGER_MS = 30_000;
