// What the provider DaemonSet example must get right. Its config file is read by the
// provider's own parser, and every file and socket path in it must be reachable through a
// mount that gives exactly what is needed: the config and TLS files from their ConfigMap and
// Secret, and the console socket directory, alone and read-only, from the host.
import { dirname, posix } from 'node:path';
import { DEFAULT_MACHINEPOOLLET_PORT } from '../../lib/kube/index.js';
import { parseProviderConfig, type ProviderConfig } from '../../lib/provider/index.js';
import { hardeningProblems, mountAt, mountHolding, selectorProblems, type Container, type PodSpec, type Workload } from './pod-checks.js';

export interface ConfigMapObject {
  metadata: { name: string };
  data?: Record<string, string>;
}

export function providerDaemonSetProblems(daemonSet: Workload, configMaps: ConfigMapObject[]): string[] {
  const pod = daemonSet.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'provider');
  if (!container) return ['no container named provider'];
  const security = pod.securityContext ?? {};
  const problems = [
    ...hardeningProblems(pod, container),
    ...selectorProblems(daemonSet, daemonSet.spec.selector.matchLabels, 'the DaemonSet'),
    ...(pod.hostNetwork === true ? [] : ['not on the host network: gateways dial the address the pool announces']),
    ...(Object.keys(pod.nodeSelector ?? {}).length > 0 ? [] : ['no nodeSelector: it would run on every node, not only pool hosts']),
    ...(pod.automountServiceAccountToken === false ? [] : ['a service account token is mounted, but the provider never calls the API']),
    ...(security.supplementalGroups?.length ? [] : ['no supplementalGroups: the non-root provider cannot open group-owned sockets']),
  ];
  const loaded = loadConfig(pod, container, configMaps);
  if (typeof loaded === 'string') return [...problems, loaded];
  return [...problems, ...portProblems(container, loaded), ...tlsProblems(pod, container, loaded), ...socketProblems(pod, container, loaded)];
}

/** The config file the args name, through its ConfigMap mount, parsed; or what is wrong. */
function loadConfig(pod: PodSpec, container: Container, configMaps: ConfigMapObject[]): ProviderConfig | string {
  const [command, flag, file] = container.args ?? [];
  if (command !== 'provider' || flag !== '--config' || !file) return `args ${JSON.stringify(container.args)} are not \`provider --config FILE\``;
  const mount = mountHolding(pod, container, file);
  const configMap = configMaps.find((c) => c.metadata.name === mount?.volume.configMap?.name);
  const text = mount && configMap?.data?.[posix.relative(mount.mountPath, file)];
  if (text === undefined) return `${file} is not a key of a mounted ConfigMap`;
  try {
    return parseProviderConfig(text, file);
  } catch (error) {
    return (error as Error).message;
  }
}

function portProblems(container: Container, config: ProviderConfig): string[] {
  const problems: string[] = [];
  if (config.listen.port !== DEFAULT_MACHINEPOOLLET_PORT) problems.push(`listens on ${config.listen.port}, not the machinepoollet port ${DEFAULT_MACHINEPOOLLET_PORT}`);
  if (!container.ports?.some((p) => p.containerPort === config.listen.port)) problems.push(`port ${config.listen.port} is not declared on the container`);
  return problems;
}

function tlsProblems(pod: PodSpec, container: Container, config: ProviderConfig): string[] {
  if (!config.tls || config.insecureNoTLS || config.insecureNoClientAuth) return ['the provider is not serving mTLS'];
  const files = [config.tls.certFile, config.tls.keyFile, config.tls.clientCAFile ?? '(no clientCAFile)'];
  return files.filter((file) => !mountHolding(pod, container, file)?.volume.secret).map((file) => `${file} does not come from a mounted Secret`);
}

/** The socket directory: mounted alone, read-only, from the same path on the host. */
function socketProblems(pod: PodSpec, container: Container, config: ProviderConfig): string[] {
  if (config.backend.kind !== 'unix-serial') return [`backend is ${config.backend.kind}, not unix-serial`];
  const directory = dirname(config.backend.path);
  if (directory.includes('{')) return [`the socket directory ${directory} varies by machine; only the file name should`];
  const mount = mountAt(pod, container, directory);
  const problems: string[] = [];
  if (!mount) problems.push(`the socket directory ${directory} is not a mount of its own`);
  else {
    if (mount.volume.hostPath?.path !== directory) problems.push(`${directory} is mounted from host path ${mount.volume.hostPath?.path}, not the same path`);
    if (!mount.readOnly) problems.push(`${directory} is mounted read-write; connecting needs only the socket's own permission`);
  }
  const hostPaths = (pod.volumes ?? []).filter((v) => v.hostPath && v !== mount?.volume);
  for (const volume of hostPaths) problems.push(`another host path is mounted: ${volume.hostPath?.path}`);
  return problems;
}
