// Audit events for a normal session, a takeover, refused opens and a provider that crashes,
// each line checked against audit.k8s.io/v1's Event (every required field, the type of every
// optional one, nothing else), and the provider's log lines joined by the same auditID.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueServerCert } from '../fixtures/certs.js';
import { machineObject, machinePoolObject } from '../fixtures/kube-api.js';
import { startProviderProcess, type RunningProcess } from '../fixtures/processes.js';
import { ALICE, BOB, connect, refusal, SessionReader, startStack, type Stack } from '../fixtures/stack.js';

interface AuditEvent {
  auditID: string;
  stage: string;
  user: { username?: string; groups?: string[] };
  verb: string;
  requestURI: string;
  objectRef?: Record<string, string>;
  responseStatus?: { code?: number; status?: string; message?: string };
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

const REQUIRED = ['kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'requestReceivedTimestamp', 'stageTimestamp'];
const OPTIONAL = ['impersonatedUser', 'sourceIPs', 'userAgent', 'objectRef', 'responseStatus', 'requestObject', 'responseObject', 'annotations'];
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** audit.k8s.io/v1 Event, field by field (k8s.io/apiserver/pkg/apis/audit/v1/types.go). */
function checkEvent(t: Test, line: string): AuditEvent {
  const event = JSON.parse(line) as AuditEvent;
  for (const field of REQUIRED) t.ok(field in event, `required field ${field}`);
  t.same(Object.keys(event).filter((key) => !REQUIRED.includes(key) && !OPTIONAL.includes(key)), [], 'no field audit.k8s.io/v1 does not have');
  t.equal(event.kind, 'Event');
  t.equal(event.apiVersion, 'audit.k8s.io/v1');
  t.ok(['None', 'Metadata', 'Request', 'RequestResponse'].includes(event.level as string), 'level');
  t.match(event.auditID, UUID, 'auditID');
  t.ok(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'].includes(event.stage), 'stage');
  t.type(event.requestURI, 'string');
  t.ok(['get', 'create'].includes(event.verb), 'verb of a connect request');
  t.type(event.user, 'object');
  t.match(event.requestReceivedTimestamp, MICRO_TIME, 'requestReceivedTimestamp is a MicroTime');
  t.match(event.stageTimestamp, MICRO_TIME, 'stageTimestamp is a MicroTime');
  t.ok((event.stageTimestamp as string) >= (event.requestReceivedTimestamp as string), 'the stage is not before the request');
  if (event.sourceIPs) t.ok(Array.isArray(event.sourceIPs) && (event.sourceIPs as unknown[]).every((ip) => typeof ip === 'string'), 'sourceIPs are strings');
  if (event.objectRef) for (const value of Object.values(event.objectRef)) t.type(value, 'string');
  if (event.responseStatus) t.type(event.responseStatus.code, 'number', 'responseStatus.code');
  if (event.annotations) for (const value of Object.values(event.annotations)) t.type(value, 'string', 'annotation values are strings');
  t.notOk(line.includes(ALICE) || line.includes(BOB) || line.includes('gateway-sa-token'), 'no token in the event');
  return event;
}

const audit: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'audit-'));
let stack: Stack;
let crashy: RunningProcess;

t.before(async () => {
  stack = await startStack({ sharing: 'shared', gateway: { audit: { write: (line) => void audit.push(line) } } });
  const server = await issueServerCert(stack.ca);
  crashy = await startProviderProcess({ dir, name: 'crashy', tls: { key: server.key, cert: server.cert, ca: stack.ca.cert }, command: '/bin/sh' });
  stack.kube.setObject(machinePoolObject('pool2', [{ type: 'InternalIP', address: '127.0.0.1' }], crashy.port));
  stack.kube.setObject(machineObject('default', 'crashy', 'pool2'));
});
t.teardown(async () => {
  await crashy?.kill();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The events of one auditID so far, in order (the last test checks every line's shape). */
function eventsOf(auditID: string): AuditEvent[] {
  return audit.map((line) => JSON.parse(line) as AuditEvent).filter((event) => event.auditID === auditID);
}

function auditIDs(): Set<string> {
  return new Set(audit.map((line) => (JSON.parse(line) as AuditEvent).auditID));
}

/** The auditID of the newest session the gateway logged as opened. */
function lastOpened(): string {
  const line = [...stack.logs].reverse().map((l) => JSON.parse(l) as { msg: string; auditID?: string }).find((l) => l.msg === 'console session opened');
  return line!.auditID!;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

t.test('a normal session: received, started at the upgrade, complete at the end, joined by the provider', async (t) => {
  const session = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE, headers: { 'user-agent': 'audit-test/1.0' } }));
  await session.opened();
  const id = lastOpened();
  session.send(0, 'echo audited-$((2*3))\n');
  await session.waitFor('audited-6');
  session.ws.close();
  await until(() => eventsOf(id).length === 3, 'three stages');
  const [received, started, complete] = eventsOf(id);
  t.same(received!.stage, 'RequestReceived');
  t.same(started!.stage, 'ResponseStarted');
  t.same(complete!.stage, 'ResponseComplete');
  for (const event of [received!, started!, complete!]) {
    t.match(event, {
      level: 'Metadata',
      verb: 'get',
      requestURI: '/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/m1/exec?stdin=true&tty=true',
      user: { username: 'alice', groups: ['devs', 'system:authenticated'] },
      sourceIPs: ['127.0.0.1'],
      userAgent: 'audit-test/1.0',
      objectRef: { resource: 'machines', subresource: 'exec', namespace: 'default', name: 'm1', apiGroup: 'compute.ironcore.dev', apiVersion: 'v1alpha1' },
    });
  }
  t.notOk(received!.responseStatus, 'no response yet when received');
  t.same(started!.responseStatus, { metadata: {}, code: 101 });
  t.match(started!.annotations, {
    'console.ironcore.dev/pool': 'pool1',
    'console.ironcore.dev/provider': `127.0.0.1:${stack.providerPort}`,
    'console.ironcore.dev/protocol': 'v5.channel.k8s.io',
    'console.ironcore.dev/role': 'writer',
  });
  t.same(complete!.responseStatus, { metadata: {}, code: 101 });
  t.equal(complete!.annotations!['console.ironcore.dev/outcome'], 'success');
  t.ok(Number(complete!.annotations!['console.ironcore.dev/bytes-in']) >= 'echo audited-$((2*3))\n'.length, 'bytes in');
  t.ok(Number(complete!.annotations!['console.ironcore.dev/bytes-out']) > 0, 'bytes out');
  t.notOk(audit.some((line) => line.includes('audited-')), 'no console byte in any event');
  const provider = stack.logs.map((l) => JSON.parse(l) as { msg: string; auditID?: string }).filter((l) => l.auditID === id).map((l) => l.msg);
  t.ok(provider.includes('console stream opened') && provider.includes('console stream closed'), 'the provider logged its side with the same auditID');
});

t.test('a takeover is audited with its role; the session it displaced stays a writer', async (t) => {
  const first = new SessionReader(connect(stack, 'default', 'm2', { token: ALICE }));
  await first.opened();
  const firstId = lastOpened();
  const second = new SessionReader(connect(stack, 'default', 'm2', { token: ALICE, query: 'stdin=true&tty=true&takeover=true' }));
  await second.opened();
  const secondId = lastOpened();
  await until(() => eventsOf(secondId).length === 2, 'the takeover started');
  t.equal(eventsOf(firstId)[1]!.annotations!['console.ironcore.dev/role'], 'writer');
  t.equal(eventsOf(secondId)[1]!.annotations!['console.ironcore.dev/role'], 'takeover');
  t.match(eventsOf(secondId)[0]!.requestURI, /takeover=true/);
  first.ws.close();
  second.ws.close();
  await until(() => eventsOf(firstId).length === 3 && eventsOf(secondId).length === 3, 'both complete');
});

t.test('refused opens: received (with the user, when known) and complete with the refusal, never started', async (t) => {
  const before = auditIDs();
  const auditHeader = await new Promise<string | string[] | undefined>((resolve) => {
    const ws = connect(stack, 'default', 'm1', { token: BOB });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.headers['audit-id']);
      res.resume();
    });
    ws.once('error', () => {});
  });
  await refusal(connect(stack, 'default', 'm1'));
  await refusal(connect(stack, 'Bad_Namespace', 'm1', { token: ALICE }));
  await until(() => auditIDs().size === before.size + 3, 'three refusals');
  const ids = [...auditIDs()].filter((id) => !before.has(id));
  const [denied, anonymous, invalid] = ids.map((id) => eventsOf(id));
  for (const events of [denied!, anonymous!, invalid!]) t.same(events.map((e) => e.stage), ['RequestReceived', 'ResponseComplete']);
  t.equal(denied![0]!.user.username, 'bob');
  t.equal(auditHeader, denied![0]!.auditID, 'the refusal carries its Audit-ID header, as kube-apiserver\'s answers do');
  t.match(denied![1]!.responseStatus, { status: 'Failure', code: 403, message: /User "bob" cannot create resource "machines\/exec"/ });
  t.same(anonymous![0]!.user, {}, 'who failed to authenticate is unknown');
  t.match(anonymous![1]!.responseStatus, { status: 'Failure', code: 401, message: 'Unauthorized' });
  t.match(invalid![1]!.responseStatus, { code: 400 });
  t.notOk(invalid![0]!.objectRef, 'an invalid name is not an object reference');
});

t.test('a provider crash ends the session; its end is audited and the provider had logged the auditID', async (t) => {
  const session = new SessionReader(connect(stack, 'default', 'crashy', { token: ALICE }));
  await session.opened();
  const id = lastOpened();
  session.send(0, 'echo before-crash-$((1+1))\n');
  await session.waitFor('before-crash-2');
  t.ok(crashy.logs.some((line) => line.includes(id) && line.includes('console stream opened')), 'the provider process logged the open with the auditID');
  await crashy.kill('SIGKILL');
  await session.closed;
  await until(() => eventsOf(id).length === 3, 'the end is audited');
  const complete = eventsOf(id)[2]!;
  t.equal(complete.stage, 'ResponseComplete');
  t.not(complete.annotations!['console.ironcore.dev/outcome'], 'success', `the outcome says it failed (${complete.annotations!['console.ironcore.dev/outcome']})`);
  t.equal(complete.annotations!['console.ironcore.dev/pool'], 'pool2');
  t.match(session.errorChannel, /"status":"Failure"/, 'the client got a Status too');
});

t.test('every line is an audit.k8s.io/v1 Event', async (t) => {
  t.ok(audit.length >= 3 * 4 + 2 * 3, `${audit.length} events`);
  for (const line of audit) checkEvent(t, line);
});
