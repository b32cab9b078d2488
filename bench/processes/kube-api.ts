// The stand-in kube-apiserver, in its own process so that answering lookups and reviews does
// not count as the gateway's CPU time. It knows the MachinePool of the bench provider and the
// machines that the bench adds, and `users` bearer tokens; it allows every access review.
import { readFileSync } from 'node:fs';
import { machineObject, machinePoolObject, startKubeApi } from '../../test/fixtures/kube-api.js';
import { BENCH_NAMESPACE, BENCH_POOL, GATEWAY_SA_TOKEN, benchToken, benchUserOf } from '../fixture-names.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface KubeProcessOptions {
  keyFile: string;
  certFile: string;
  /** Tokens bench-token-0 … bench-token-(users-1) authenticate as bench-user-N. */
  users: number;
}

export interface KubeReady {
  url: string;
}

const options = childOptions<KubeProcessOptions>();
const tokens = Object.fromEntries(
  Array.from({ length: options.users }, (_, i) => [benchToken(i), { username: benchUserOf(benchToken(i)), uid: `u-${i}`, groups: ['system:authenticated'] }]),
);
const kube = await startKubeApi({
  tls: { key: readFileSync(options.keyFile), cert: readFileSync(options.certFile) },
  callerToken: GATEWAY_SA_TOKEN,
  tokens,
});
serveParent({ url: kube.url } satisfies KubeReady, {
  setProvider: ({ port }: { port: number }) => void kube.setObject(machinePoolObject(BENCH_POOL, [{ type: 'InternalIP', address: '127.0.0.1' }], port)),
  addMachines: ({ names }: { names: string[] }) => {
    for (const name of names) kube.setObject(machineObject(BENCH_NAMESPACE, name, BENCH_POOL));
    return names.length;
  },
});
