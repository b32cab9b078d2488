// Audit events of console sessions in kube-apiserver's audit.k8s.io/v1 Event shape, at level
// Metadata, one JSON line per stage: RequestReceived once the caller is known (or known not to
// be), ResponseStarted at the upgrade, ResponseComplete when the session (or the refusal) ends.
// An event names who, from where, which machine, and how it went; never a token (the request
// URI carries none: tokens travel in a header or the subprotocol) and never a console byte.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Status } from '../protocol/index.js';
import type { UserInfo } from './auth.js';
import type { UWS } from './uws.js';

/** Where audit lines go (a rotated file, stdout, or the main thread of a worker). */
export interface AuditSink {
  write(line: string): void;
}

/** What an event says about the request, read synchronously while uWS's request is valid. */
export interface AuditRequestFacts {
  requestURI: string;
  /** kube-apiserver's verb for a connect request: get for GET, create for POST. */
  verb: string;
  userAgent: string;
  sourceIPs: string[];
}

/** Our annotations, under the console.ironcore.dev/ prefix as kube's are under their owners'. */
export interface SessionAnnotations {
  pool?: string;
  provider?: string;
  protocol?: string;
  role?: 'writer' | 'viewer' | 'takeover';
  bytesIn?: number;
  bytesOut?: number;
  /** How the session ended: success, or the end Status's code or reason. */
  outcome?: string;
}

const ANNOTATION_PREFIX = 'console.ironcore.dev/';
const ANNOTATION_NAMES: Record<keyof SessionAnnotations, string> = {
  pool: 'pool',
  provider: 'provider',
  protocol: 'protocol',
  role: 'role',
  bytesIn: 'bytes-in',
  bytesOut: 'bytes-out',
  outcome: 'outcome',
};

/** The request's facts, read from uWS's request (the headers are the client's claim, as in kube). */
export function readAuditFacts(req: UWS.HttpRequest, res: UWS.HttpResponse): AuditRequestFacts {
  const query = req.getQuery();
  return {
    requestURI: query ? `${req.getUrl()}?${query}` : req.getUrl(),
    verb: req.getMethod().toUpperCase() === 'POST' ? 'create' : 'get',
    userAgent: req.getHeader('user-agent'),
    sourceIPs: sourceIPs(req.getHeader('x-forwarded-for'), req.getHeader('x-real-ip'), Buffer.from(res.getRemoteAddressAsText()).toString()),
  };
}

/** The same facts of a request node:http parsed (the fronts' SPDY upgrades). */
export function readHttpAuditFacts(req: IncomingMessage): AuditRequestFacts {
  const header = (name: string) => [req.headers[name] ?? ''].flat().join(',');
  return {
    requestURI: req.url ?? '',
    verb: req.method === 'POST' ? 'create' : 'get',
    userAgent: header('user-agent'),
    sourceIPs: sourceIPs(header('x-forwarded-for'), header('x-real-ip'), req.socket.remoteAddress ?? ''),
  };
}

/** Source IPs as kube-apiserver lists them: X-Forwarded-For, then X-Real-Ip, then the peer, without repeats. */
function sourceIPs(forwardedFor: string, realIp: string, peer: string): string[] {
  const forwarded = forwardedFor.split(',').map((ip) => ip.trim());
  return [...new Set([...forwarded, realIp.trim(), peer].filter(Boolean))];
}

/** One request's audit trail; every stage repeats the whole event, as kube's do. */
export class SessionAudit {
  readonly auditID = randomUUID();
  private readonly receivedAt: number;
  private user: UserInfo | undefined;
  private receivedSent = false;
  private readonly annotations: SessionAnnotations = {};

  constructor(
    private readonly sink: AuditSink,
    private readonly facts: AuditRequestFacts,
    private readonly object: { namespace: string; machine: string } | undefined,
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {
    this.receivedAt = now();
  }

  /** The caller is authenticated as `user`, or (undefined) could not be. */
  received(user: UserInfo | undefined): void {
    if (this.receivedSent) return;
    this.receivedSent = true;
    this.user = user;
    this.emit('RequestReceived');
  }

  /** The upgrade is answered: the session runs. */
  started(annotations: SessionAnnotations): void {
    Object.assign(this.annotations, annotations);
    this.emit('ResponseStarted', { metadata: {}, code: 101 });
  }

  /** The session ended (`status` is then its end Status), or the open was refused with `status`. */
  completed(status: Status, annotations: SessionAnnotations = {}): void {
    this.received(this.user); // a request refused before we knew who asked still has its first stage
    Object.assign(this.annotations, annotations);
    // An upgraded session's HTTP response was the 101; how the session went is annotated.
    const upgraded = this.annotations.role !== undefined;
    this.emit('ResponseComplete', upgraded ? { metadata: {}, code: 101 } : responseStatus(status));
  }

  private emit(stage: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete', status?: Partial<Status>): void {
    const user = this.user;
    const event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: this.auditID,
      stage,
      requestURI: this.facts.requestURI,
      verb: this.facts.verb,
      user: user ? { username: user.username, ...(user.uid && { uid: user.uid }), ...(user.groups && { groups: user.groups }), ...(user.extra && { extra: user.extra }) } : {},
      sourceIPs: this.facts.sourceIPs,
      ...(this.facts.userAgent && { userAgent: this.facts.userAgent }),
      ...(this.object && {
        objectRef: {
          resource: 'machines',
          namespace: this.object.namespace,
          name: this.object.machine,
          apiGroup: 'compute.ironcore.dev',
          apiVersion: 'v1alpha1',
          subresource: 'exec',
        },
      }),
      ...(status && { responseStatus: status }),
      requestReceivedTimestamp: microTime(this.receivedAt),
      stageTimestamp: microTime(this.now()),
      ...(Object.keys(this.annotations).length > 0 && { annotations: renderAnnotations(this.annotations) }),
    };
    this.sink.write(`${JSON.stringify(event)}\n`);
  }
}

/** The bounded part of a Status kube-apiserver copies into an event. */
function responseStatus(status: Status): Partial<Status> {
  return {
    metadata: {},
    status: status.status,
    ...(status.message && { message: status.message }),
    ...(status.reason && { reason: status.reason }),
    ...(status.code !== undefined && { code: status.code }),
  };
}

function renderAnnotations(annotations: SessionAnnotations): Record<string, string> {
  const rendered: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (value !== undefined) rendered[ANNOTATION_PREFIX + ANNOTATION_NAMES[key as keyof SessionAnnotations]] = String(value);
  }
  return rendered;
}

/** metav1.MicroTime: RFC 3339 with microseconds, in UTC. */
function microTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.floor((ms - whole) * 1000);
  return new Date(whole).toISOString().replace(/\.(\d{3})Z$/, (_, millis: string) => `.${millis}${String(micros).padStart(3, '0')}Z`);
}
