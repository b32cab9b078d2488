// The client side, connectSpdyChannelPort, against the lib/spdy exec server (a real PTY or
// pipes behind it) over TLS; and the server side's limits: bad resize JSON, a client that
// never creates its streams.
import t from 'tap';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueServerCert, makeCA } from '../fixtures/certs.js';
import { startSpdyExecServer } from '../fixtures/spdy-exec-server.js';
import {
  CLOSE,
  ERROR,
  RESIZE,
  STDIN,
  STDOUT,
  StatusError,
  channelMessage,
  errorChannelPayload,
  exitCodeOf,
  exitCodeStatus,
  type Status,
} from '../../lib/protocol/index.js';
import { SpdyConnection, acceptSpdyChannelPort, connectSpdyChannelPort, spdySwitchingProtocolsHead, type SpdyChannelPort, type SpdyStream } from '../../lib/spdy/index.js';

const ca = await makeCA();
const cert = await issueServerCert(ca);
const server = await startSpdyExecServer({ tls: cert });
t.teardown(() => server.close());

function execUrl(machine: string, command: string[], query: Record<string, string>): string {
  const params = new URLSearchParams(query);
  for (const arg of command) params.append('command', arg);
  return `https://127.0.0.1:${server.port}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/${machine}/exec?${params}`;
}

interface Session {
  stdout: string;
  stderr: string;
  /** The error stream's bytes, once it ended. */
  error?: string;
  closeError?: Error;
}

/** Collects a port's messages until its connection closes. */
function collect(port: SpdyChannelPort): Promise<Session> {
  const session: Session = { stdout: '', stderr: '' };
  port.onMessage((message) => {
    const text = message.subarray(1).toString();
    if (message[0] === STDOUT) session.stdout += text;
    else if (message[0] === 2) session.stderr += text;
    else if (message[0] === ERROR) session.error = text;
  });
  return new Promise((resolve) => port.onClose((error) => resolve({ ...session, ...(error && { closeError: error }) })));
}

const tls = { ca: ca.cert };

t.test('v4: stdin with FIN, stdout and stderr apart, the exit code in the Status', async (t) => {
  const port = await connectSpdyChannelPort({
    url: execUrl('m1', ['sh', '-c', 'cat; echo err >&2; exit 3'], { stdin: 'true', stdout: 'true', stderr: 'true' }),
    tls, stdin: true, stdout: true, stderr: true, tty: false,
    protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
  });
  t.equal(port.protocol, 'v4.channel.k8s.io', 'v5 offered first, v4 chosen: v5 is websocket only');
  const session = collect(port);
  port.send(channelMessage(STDIN, 'typed\n'));
  port.send(Buffer.from([CLOSE, STDIN]));
  const result = await session;
  t.equal(result.stdout, 'typed\n');
  t.equal(result.stderr, 'err\n');
  const status = JSON.parse(result.error!) as Status;
  t.equal(exitCodeOf(status), 3);
  t.equal(result.closeError, undefined, 'a clean close');
});

t.test('older protocols: the error stream carries the message text, nothing on success', async (t) => {
  for (const protocol of ['v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']) {
    const failing = await connectSpdyChannelPort({ url: execUrl('m1', ['sh', '-c', 'exit 2'], { stdout: 'true' }), tls, stdin: false, stdout: true, stderr: false, tty: false, protocols: [protocol] });
    t.equal(failing.protocol, protocol);
    t.match((await collect(failing)).error, /^command terminated with non-zero exit code: .*exit code 2$/, `${protocol}: failure text`);
    const passing = await connectSpdyChannelPort({ url: execUrl('m1', ['true'], { stdout: 'true' }), tls, stdin: false, stdout: true, stderr: false, tty: false, protocols: [protocol] });
    t.equal((await collect(passing)).error, '', `${protocol}: success writes nothing`);
  }
});

t.test('tty over a GET upgrade: no stderr stream, resize as JSON lines reaches the PTY', async (t) => {
  const url = execUrl('m1', ['sh', '-c', 'stty size'], { stdin: 'true', stdout: 'true', stderr: 'true', tty: 'true' });
  const port = await connectSpdyChannelPort({ url, method: 'GET', tls, stdin: true, stdout: true, stderr: true, tty: true });
  const session = collect(port);
  port.send(channelMessage(RESIZE, '{"Width":91,"Height":21}'));
  const result = await session;
  t.equal(result.stdout, '21 91\r\n');
  t.same(server.startSizes.at(-1), { cols: 91, rows: 21 });
  t.same(JSON.parse(result.error!), { metadata: {}, status: 'Success' });
});

t.test('bad resize JSON fails the session with a 400 Status', async (t) => {
  const port = await connectSpdyChannelPort({ url: execUrl('m1', ['sh'], { stdin: 'true', stdout: 'true', tty: 'true' }), tls, stdin: true, stdout: true, stderr: false, tty: true });
  const session = collect(port);
  port.send(channelMessage(RESIZE, '{"Width":'));
  const status = JSON.parse((await session).error!) as Status;
  t.equal(status.code, 400);
  t.match(status.message, /resize message is not valid JSON/);
});

t.test('refused upgrades reject with the peer\'s code and message', async (t) => {
  const missing = connectSpdyChannelPort({ url: execUrl('missing', ['true'], { stdout: 'true' }), tls, stdin: false, stdout: true, stderr: false, tty: false });
  await t.rejects(missing, new StatusError(404, 'machines.compute.ironcore.dev "missing" not found'));
  const v5 = connectSpdyChannelPort({ url: execUrl('m1', ['true'], { stdout: 'true' }), tls, stdin: false, stdout: true, stderr: false, tty: false, protocols: ['v5.channel.k8s.io'] });
  const error = (await v5.catch((e: unknown) => e)) as StatusError;
  t.equal(error.code, 400);
  t.equal(error.message, 'unable to upgrade: unable to negotiate protocol: client supports [v5.channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]');
});

t.test('a client that never creates its streams is given up on, and only its connection closes', async (t) => {
  const failures: unknown[] = [];
  const strict = https.createServer({ key: cert.key, cert: cert.cert });
  strict.on('upgrade', (_req, socket, head) => {
    acceptSpdyChannelPort(socket, head, 'v4.channel.k8s.io', { stdin: true, stdout: true, stderr: false, tty: false }, { streamTimeoutMs: 200 }).catch((e: unknown) => failures.push(e));
  });
  await new Promise<void>((resolve) => strict.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => strict.close(() => resolve())));
  // Expects stdin and stdout but the client (stdout only) creates error and stdout.
  const connecting = connectSpdyChannelPort({ url: `https://127.0.0.1:${(strict.address() as AddressInfo).port}/x`, tls, stdin: false, stdout: true, stderr: false, tty: false });
  const port = await connecting;
  const closed = await collect(port);
  t.equal(closed.error, undefined, 'the connection closed without a Status: the session never started');
  t.equal(failures.length, 1);
  t.same({ code: (failures[0] as StatusError).code, message: (failures[0] as StatusError).message }, { code: 504, message: 'timed out waiting for client to create streams' });
});

t.test('a refusal without a Status body keeps the HTTP code and text', async (t) => {
  const plain = https.createServer({ key: cert.key, cert: cert.cert });
  plain.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nConnection: close\r\n\r\nforbidden'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => plain.close(() => resolve())));
  const refused = connectSpdyChannelPort({ url: `https://127.0.0.1:${(plain.address() as AddressInfo).port}/x`, tls, stdin: false, stdout: true, stderr: false, tty: false });
  const error = (await refused.catch((e: unknown) => e)) as StatusError;
  t.same([error.code, error.message], [403, 'unable to upgrade connection: forbidden']);
});

t.test('a server that ends as the kubelet does (status, RST_STREAM CANCEL on every stream, GOAWAY) ends the client cleanly', async (t) => {
  const kubeletLike = https.createServer({ key: cert.key, cert: cert.cert });
  kubeletLike.on('upgrade', (_req, socket, head) => {
    socket.write(spdySwitchingProtocolsHead('v4.channel.k8s.io'));
    const connection = new SpdyConnection(socket, { role: 'server' }, head);
    const streams = new Map<string, SpdyStream>();
    connection.onStream((stream) => {
      stream.reply();
      streams.set(stream.header('streamtype')!, stream);
      if (streams.size < 2) return;
      streams.get('stdout')!.write(Buffer.from('output'));
      streams.get('error')!.write(errorChannelPayload('v4.channel.k8s.io', exitCodeStatus(7))!);
      for (const each of streams.values()) each.reset();
      connection.close();
    });
  });
  await new Promise<void>((resolve) => kubeletLike.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => kubeletLike.close(() => resolve())));
  const port = await connectSpdyChannelPort({ url: `https://127.0.0.1:${(kubeletLike.address() as AddressInfo).port}/x`, tls, stdin: false, stdout: true, stderr: false, tty: false });
  const result = await collect(port);
  t.equal(result.stdout, 'output');
  t.equal(exitCodeOf(JSON.parse(result.error!) as Status), 7, 'the Status arrives when the error stream is reset');
  t.equal(result.closeError, undefined);
});
