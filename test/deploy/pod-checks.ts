// Shapes of the pod fields the checks read, and the hardening every pod of ours must have.
// Checks return problems as sentences ([] when all is well), so a failing test says what to
// fix and the checks themselves can be shown to fail on broken copies.

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  fsGroup?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}

export interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
  tcpSocket?: { port?: number | string };
}

export interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { resourceFieldRef?: { containerName?: string; resource?: string; divisor?: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Volume {
  name: string;
  secret?: { secretName?: string };
  configMap?: { name?: string };
  hostPath?: { path?: string; type?: string };
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  nodeSelector?: Record<string, string>;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable?: string; labelSelector?: { matchLabels?: Record<string, string> } }[];
  containers: Container[];
  volumes?: Volume[];
}

export interface Workload {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

/** The restricted Pod Security Standard's container rules, plus a read-only root and resources. */
export function hardeningProblems(pod: PodSpec, container: Container): string[] {
  const problems: string[] = [];
  const c = container.securityContext ?? {};
  const p = pod.securityContext ?? {};
  if ((c.runAsNonRoot ?? p.runAsNonRoot) !== true) problems.push(`${container.name}: runAsNonRoot is not true`);
  if ((c.runAsUser ?? p.runAsUser) === 0) problems.push(`${container.name}: runs as uid 0`);
  if ((c.seccompProfile ?? p.seccompProfile)?.type !== 'RuntimeDefault') problems.push(`${container.name}: seccompProfile is not RuntimeDefault`);
  if (c.privileged) problems.push(`${container.name}: privileged`);
  if (c.allowPrivilegeEscalation !== false) problems.push(`${container.name}: allowPrivilegeEscalation is not false`);
  if (c.readOnlyRootFilesystem !== true) problems.push(`${container.name}: readOnlyRootFilesystem is not true`);
  if (!c.capabilities?.drop?.includes('ALL')) problems.push(`${container.name}: capabilities do not drop ALL`);
  if (c.capabilities?.add?.length) problems.push(`${container.name}: adds capabilities ${c.capabilities.add.join(', ')}`);
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory']) {
      if (!container.resources?.[kind]?.[resource]) problems.push(`${container.name}: no ${resource} in resources.${kind}`);
    }
  }
  return problems;
}

/** Problems when the workload's selector does not pick exactly its own pods' labels. */
export function selectorProblems(workload: Workload, selector: Record<string, string> | undefined, what: string): string[] {
  const labels = workload.spec.template.metadata.labels;
  const mismatched = Object.entries(selector ?? {}).filter(([key, value]) => labels[key] !== value);
  if (!selector || Object.keys(selector).length === 0) return [`${what} selects nothing`];
  return mismatched.map(([key, value]) => `${what} selects ${key}=${value}, which the pods do not carry`);
}

/** The mount at exactly `path`, with its volume. */
export function mountAt(pod: PodSpec, container: Container, path: string): { readOnly: boolean; volume: Volume } | undefined {
  const mount = container.volumeMounts?.find((m) => m.mountPath.replace(/\/$/, '') === path.replace(/\/$/, ''));
  const volume = mount && pod.volumes?.find((v) => v.name === mount.name);
  return mount && volume ? { readOnly: mount.readOnly === true, volume } : undefined;
}

/** The mount whose directory contains `file`, with its volume. */
export function mountHolding(pod: PodSpec, container: Container, file: string): { readOnly: boolean; volume: Volume; mountPath: string } | undefined {
  const mount = container.volumeMounts?.find((m) => file.startsWith(m.mountPath.replace(/\/?$/, '/')));
  const volume = mount && pod.volumes?.find((v) => v.name === mount.name);
  return mount && volume ? { readOnly: mount.readOnly === true, volume, mountPath: mount.mountPath } : undefined;
}

/** A port by name or number, as a probe or Service names it, as the container number. */
export function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
