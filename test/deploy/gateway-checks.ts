// What the gateway Deployment must get right. The container's args are read by the gateway
// command's own parser, so a flag the command does not know fails here, and the shutdown
// grace the check compares against is the one the process would use.
import { parseGatewayArgs } from '../../lib/cli/commands/gateway.js';
import { hardeningProblems, resolvePort, selectorProblems, type Container, type Probe, type Workload } from './pod-checks.js';

/** The gateway's settings as the deployed process would parse them. */
export interface DeployedGateway {
  port: number;
  shutdownGraceMs: number;
}

/**
 * Parses the container's args as `ironcore-console gateway` would, with each $(VAR) expanded
 * as the kubelet does, to `sample` (a stand-in for values only known in a running pod).
 */
export function deployedGateway(container: Container, sample = '2'): DeployedGateway {
  const [command, ...flags] = container.args ?? [];
  if (command !== 'gateway') throw new Error(`the container runs ${JSON.stringify(command)}, not the gateway command`);
  const { config } = parseGatewayArgs(flags.map((arg) => arg.replace(/\$\((\w+)\)/g, sample)));
  return { port: config.port, shutdownGraceMs: config.shutdownGraceMs };
}

export function gatewayDeploymentProblems(deployment: Workload): string[] {
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'gateway');
  if (!container) return ['no container named gateway'];
  let gateway: DeployedGateway;
  try {
    gateway = deployedGateway(container);
  } catch (error) {
    return [`the gateway command refuses the args: ${(error as Error).message}`];
  }
  return [
    ...((deployment.spec.replicas ?? 1) < 2 ? [`replicas is ${deployment.spec.replicas ?? 1}, want at least 2`] : []),
    ...(pod.serviceAccountName ? [] : ['no serviceAccountName: the gateway would run as the default account']),
    ...hardeningProblems(pod, container),
    ...workerProblems(container),
    ...probeProblems('readinessProbe', container.readinessProbe, '/readyz', container, gateway.port),
    ...probeProblems('livenessProbe', container.livenessProbe, '/healthz', container, gateway.port),
    ...gracePeriodProblems(deployment, container, gateway.shutdownGraceMs),
    ...spreadProblems(deployment),
    ...selectorProblems(deployment, deployment.spec.selector.matchLabels, 'the Deployment'),
  ];
}

/** --workers must come from the CPU limit through the downward API. */
function workerProblems(container: Container): string[] {
  const flag = container.args?.find((arg) => arg.startsWith('--workers'));
  const variable = /^--workers[= ]\$\((\w+)\)$/.exec(flag ?? '')?.[1];
  if (!variable) return [`--workers is not set from an environment variable (got ${JSON.stringify(flag)})`];
  const source = container.env?.find((e) => e.name === variable)?.valueFrom?.resourceFieldRef;
  const problems: string[] = [];
  if (source?.resource !== 'limits.cpu') problems.push(`${variable} is not the container's limits.cpu (resourceFieldRef)`);
  if (source?.containerName !== undefined && source.containerName !== container.name) problems.push(`${variable} reads another container's CPU limit`);
  if (!container.resources?.limits?.cpu) problems.push('no CPU limit: --workers would count the whole node');
  return problems;
}

function probeProblems(name: string, probe: Probe | undefined, path: string, container: Container, port: number): string[] {
  const get = probe?.httpGet;
  if (!get) return [`${name} is not an httpGet probe`];
  const problems: string[] = [];
  if (get.path !== path) problems.push(`${name} checks ${get.path}, want ${path}`);
  if (get.scheme !== 'HTTPS') problems.push(`${name} scheme is ${get.scheme ?? 'HTTP'}, but the gateway serves HTTPS`);
  if (resolvePort(container, get.port) !== port) problems.push(`${name} port ${get.port} is not the port the gateway listens on (${port})`);
  return problems;
}

/**
 * After its grace the gateway takes up to 5 s more to hand the last Statuses over: 3 s for the
 * clients to take them (Gateway.drain), 2 s for a front's connections to finish (http-front.ts).
 */
const LAST_STATUS_SECONDS = 5;

/** The pod must outlive the preStop sleep, the gateway's own shutdown grace and its last Statuses. */
function gracePeriodProblems(deployment: Workload, container: Container, shutdownGraceMs: number): string[] {
  const preStop = container.lifecycle?.preStop;
  const command = preStop?.exec?.command ?? [];
  const sleepSeconds = preStop?.sleep?.seconds ?? (command[0]?.endsWith('sleep') ? Number(command[1]) : NaN);
  if (!Number.isFinite(sleepSeconds)) return ['no preStop sleep: the pod would stop before it leaves the endpoints'];
  const needed = sleepSeconds + shutdownGraceMs / 1000 + LAST_STATUS_SECONDS;
  const granted = deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  return granted < needed ? [`terminationGracePeriodSeconds ${granted} < preStop ${sleepSeconds}s + shutdown grace ${shutdownGraceMs / 1000}s + ${LAST_STATUS_SECONDS}s for the last Statuses`] : [];
}

function spreadProblems(deployment: Workload): string[] {
  const spread = deployment.spec.template.spec.topologySpreadConstraints?.find((c) => c.topologyKey === 'kubernetes.io/hostname');
  if (!spread) return ['no topology spread over nodes (kubernetes.io/hostname)'];
  return selectorProblems(deployment, spread.labelSelector?.matchLabels, 'the node spread constraint');
}
