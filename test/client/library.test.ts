// lib/client against stand-in gateways: protocol negotiation and half-close, output that comes
// with the upgrade, refusals, keepalive and a dropped connection, client certificates.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ExecError, resolveConnection, runExec, type ExecOptions } from '../../lib/client/index.js';
import { issueClientCert, issueServerCert, makeCA } from '../fixtures/certs.js';
import { pipedIo, startGatewayDouble, statusMessage, type DoubleOptions } from './fixtures/gateway-double.js';
import { tempDir, writeKubeconfig } from './fixtures/cli.js';

const SUCCESS = { metadata: {}, status: 'Success' };

async function withDouble(t: Test, options: DoubleOptions) {
  const double = await startGatewayDouble(options);
  t.teardown(() => double.close());
  return double;
}

function execOptions(server: string, io: ExecOptions['io'], extra: Partial<ExecOptions> = {}): ExecOptions {
  return { connection: { server, namespace: 'default', token: () => 'a-token' }, machine: 'm1', io, tty: false, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<ExecError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ExecError)) throw new Error(`expected an ExecError, got ${String(error)}`);
  return error;
}

t.test('v5: stdin goes on channel 0, EOF sends [255, 0]; output that came with the upgrade is kept', async (t) => {
  const double = await withDouble(t, {
    onConnection: (ws, request) => {
      t.equal(request.headers.authorization, 'Bearer a-token');
      t.equal(ws.protocol, 'v5.channel.k8s.io');
      t.match(request.url, /\/apis\/compute\.ironcore\.dev\/v1alpha1\/namespaces\/default\/machines\/m1\/exec\?tty=false&stdin=true&takeover=false&readOnly=false&noReplay=true&announceOffset=true&announceRole=true$/);
      ws.send(Buffer.from('\x01early output'));
      ws.on('message', (data: Buffer) => {
        if (data[0] === 255) ws.send(statusMessage(SUCCESS), () => ws.close(1000));
      });
    },
  });
  const io = pipedIo();
  io.stdinWriter.end('typed\n');
  t.equal(await runExec(execOptions(double.url, io)), 0);
  t.equal(io.stdoutText(), 'early output');
  t.same(double.received.map((m) => [...m]), [[0, ...Buffer.from('typed\n')], [255, 0]]);
});

t.test('v4: no half-close exists, so EOF sends nothing; the exit code comes from the Status', async (t) => {
  const double = await withDouble(t, {
    handleProtocols: () => 'v4.channel.k8s.io',
    onConnection: (ws) => {
      ws.on('message', () => {
        ws.send(Buffer.from('\x02on stderr'));
        ws.send(statusMessage({ metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] } }));
        setTimeout(() => ws.close(1000), 50);
      });
    },
  });
  const io = pipedIo();
  io.stdinWriter.end('x');
  t.equal(await runExec(execOptions(double.url, io)), 42);
  t.equal(io.stderrText(), 'on stderr');
  t.same(double.received.map((m) => [...m]), [[0, 0x78]], 'only the stdin message');
});

t.test('a Failure Status without an exit code is an error with its message', async (t) => {
  const double = await withDouble(t, {
    onConnection: (ws) => ws.send(statusMessage({ metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', message: 'provider shutting down' })),
  });
  const error = await rejection(runExec(execOptions(double.url, pipedIo())));
  t.equal(error.kind, 'failure');
  t.equal(error.message, 'provider shutting down');
});

t.test('503 before the upgrade: unreachable, with the gateway\'s reason', async (t) => {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'provider 10.0.0.1:12319 is unreachable', code: 503 });
  const double = await withDouble(t, {
    refuse: (_request, socket) =>
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
  });
  const error = await rejection(runExec(execOptions(double.url, pipedIo())));
  t.equal(error.kind, 'unreachable');
  t.equal(error.message, 'the gateway cannot reach the console of default/m1: provider 10.0.0.1:12319 is unreachable; try again later');
});

t.test('no pong for two keepalive intervals: the connection is lost', async (t) => {
  const double = await withDouble(t, { autoPong: false });
  const error = await rejection(runExec(execOptions(double.url, pipedIo(), { keepaliveMs: 40 })));
  t.equal(error.kind, 'unreachable');
  t.match(error.message, /^connection to the gateway lost: no answer to keepalive pings/);
});

t.test('answered pings keep the session', async (t) => {
  const double = await withDouble(t, {
    onConnection: (ws) => setTimeout(() => ws.send(statusMessage(SUCCESS)), 300),
  });
  t.equal(await runExec(execOptions(double.url, pipedIo(), { keepaliveMs: 40 })), 0);
});

t.test('a connection that drops without a Status is lost, and says so', async (t) => {
  const double = await withDouble(t, { onConnection: (ws) => setTimeout(() => ws.terminate(), 20) });
  const error = await rejection(runExec(execOptions(double.url, pipedIo())));
  t.equal(error.kind, 'unreachable');
  t.match(error.message, /^connection to the gateway lost: /);
});

t.test('the kubeconfig client certificate is presented to the gateway', async (t) => {
  const ca = await makeCA('client library test CA');
  const server = await issueServerCert(ca);
  const client = await issueClientCert(ca, { cn: 'carol', org: 'devs' });
  const dir = tempDir('client-cert-');
  t.teardown(dir.remove);
  writeFileSync(`${dir.path}/carol.crt`, client.cert);
  writeFileSync(`${dir.path}/carol.key`, client.key);
  const https = createHttpsServer({ key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true });
  let presented: string | undefined;
  const double = await withDouble(t, {
    server: https,
    onConnection: (ws, request) => {
      presented = String((request.socket as TLSSocket).getPeerCertificate().subject?.CN);
      ws.send(statusMessage(SUCCESS));
    },
  });
  const kubeconfig = writeKubeconfig(dir.path, 'config', {
    server: double.url,
    ca: ca.cert,
    users: { carol: { 'client-certificate': 'carol.crt', 'client-key': 'carol.key' } },
    contexts: { carol: { user: 'carol' } },
  });
  const connection = resolveConnection({ kubeconfig, env: {} });
  t.equal(await runExec({ connection, machine: 'm1', io: pipedIo(), tty: false }), 0);
  t.equal(presented, 'carol');
});
