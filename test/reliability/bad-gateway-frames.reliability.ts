// Bad link frames from a gateway, against the real provider process: a fake gateway opens a
// link with a trusted certificate and then sends frames out of order, for streams that are not
// open, past its credit, or bytes that are no frames at all. A stream-level offence must close
// that stream with 400 (the link stays up); a broken link must release exactly its own
// consoles; a healthy link next to it keeps echoing; the provider never crashes and ends up
// holding no more file descriptors than before.
import t, { type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { request } from 'node:https';
import { encodeFrame } from '../../lib/protocol/index.js';
import type { RunningProcess } from '../fixtures/processes.js';
import { TestLink, type TestStream } from '../provider/fixtures/link-client.js';
import { until } from '../link/fixtures/wait.js';
import { startEchoDevice, type TcpServer } from './fixtures/tcp-servers.js';
import { createPki, type Pki } from './fixtures/pki.js';
import { openFds } from './fixtures/process-stats.js';
import { startProviderProcess } from './fixtures/provider-process.js';
import { waitFor } from './fixtures/wait.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_STREAM_WINDOW } from '../../lib/link/index.js';

/** The provider grants each stream this much stdin credit. */
const PROVIDER_WINDOW = DEFAULT_STREAM_WINDOW;

const dir = mkdtempSync(join(tmpdir(), 'reliability-bad-gateway-'));
let pki: Pki;
let device: TcpServer;
let provider: RunningProcess;
let address: AddressInfo;
let tls: ConnectionOptions;
let healthyLink: TestLink;
let healthy: TestStream;
let baselineFds: number;
let healthChecks = 0;
const links: TestLink[] = [];

t.before(async () => {
  pki = await createPki(dir);
  device = await startEchoDevice();
  provider = await startProviderProcess({ dir, name: 'target', pki, device });
  address = { address: '127.0.0.1', family: 'IPv4', port: provider.port };
  tls = { ca: pki.ca.cert, key: pki.gatewayClient.key, cert: pki.gatewayClient.cert };
  healthyLink = await connect();
  healthy = healthyLink.open({ machine: 'healthy' });
  await healthy.waitOpened();
  await healthy.write('first');
  await healthy.waitOutput('first');
  baselineFds = openFds(provider.process.pid!);
});

t.teardown(async () => {
  for (const link of links) link.destroy();
  await provider?.kill();
  await device?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(): Promise<TestLink> {
  const link = await TestLink.connect(address, tls);
  links.push(link);
  return link;
}

async function stillHealthy(t: Test): Promise<void> {
  const marker = `healthy-${healthChecks++}`;
  await healthy.write(marker);
  await healthy.waitOutput(marker);
  t.ok(provider.process.exitCode === null && provider.process.signalCode === null, 'the provider is running, and the healthy stream still echoes');
}

/** Consoles held for fake links, beside the healthy stream's one. */
const fakeConsoles = () => device.connections.size - 1;

t.test('frames for streams that are not open are answered with Close 400; the link stays up', async (t) => {
  const link = await connect();
  link.link.sendData(1, Buffer.from('\x00data before any Open'));
  link.link.send({ stream: 3, kind: 'credit', credit: { bytes: 1000 } });
  link.link.send({ stream: 5, kind: 'resize', resize: { cols: 80, rows: 24 } });
  link.link.send({ stream: 7, kind: 'ping', ping: { nonce: 1 } });
  link.link.send({ stream: 9, kind: 'close', close: { code: 200 } });
  await until(link, () => link.strayFrames.length >= 4, 'four answers');
  t.match(link.strayFrames, [1, 3, 5, 7].map((stream) => ({ stream, kind: 'close', close: { code: 400, message: `stream ${stream} is not open` } })));
  const stream = link.open({ machine: 'after-strays' });
  await stream.waitOpened();
  await stream.write('the link still works');
  await stream.waitOutput('the link still works');
  t.equal(link.strayFrames.length, 4, 'a Close for a stream that is not open is not answered');
  link.destroy();
  await stillHealthy(t);
});

t.test('bad Opens are refused with 400 and never reach a console', async (t) => {
  const link = await connect();
  const opened = device.accepted;
  const send = (stream: number, open: Record<string, unknown>) => link.link.send({ stream, kind: 'open', open: { namespace: 'default', machine: 'm', window: 65536, stdin: true, ...open } });
  const cases: [string, number, Record<string, unknown>, RegExp][] = [
    ['an even stream id', 2, {}, /odd stream ids, increasing/],
    ['an invalid machine name', 11, { machine: 'Bad_Name' }, /invalid machine name/],
    ['.. as the namespace', 13, { namespace: '..' }, /invalid namespace/],
    ['a 300-character machine name', 15, { machine: 'a'.repeat(300) }, /invalid machine name/],
    ['a window of 0', 17, { window: 0 }, /open.window must be from 1024/],
    ['a window over 2^31-1', 19, { window: 0xffffffff }, /open.window must be from 1024 to 2147483647/],
    ['70000 columns', 21, { cols: 70000 }, /open.cols and open.rows must be at most 65535/],
    ['takeover and read-only at once', 23, { takeover: true, readOnly: true }, /exclude each other/],
    ['a reused stream id', 23, {}, /never reused/],
    ['a stream id going backwards', 5, {}, /increasing/],
  ];
  for (const [, id, open] of cases) send(id, open);
  await until(link, () => link.strayFrames.length >= cases.length, 'an answer to every bad Open');
  cases.forEach(([name, id, , message], i) => t.match(link.strayFrames[i], { stream: id, kind: 'close', close: { code: 400, message } }, name));
  t.equal(device.accepted, opened, 'no console was opened for any of them');
  t.ok(link.link.isOpen, 'the link is still up');
  link.destroy();
  await stillHealthy(t);
});

t.test('offences on an open stream close that stream with 400; its neighbour on the link goes on', async (t) => {
  const link = await connect();
  const neighbour = link.open({ machine: 'neighbour' });
  await neighbour.waitOpened();
  const cases: [string, (stream: TestStream) => void, RegExp][] = [
    ['credit past 2^31-1', (s) => s.grant(0xffffffff), /flow control window overflow/],
    ['stdin past the window', (s) => s.sendRaw(Buffer.concat([Buffer.of(0), Buffer.alloc(PROVIDER_WINDOW, 0x61)])), /flow control window exceeded/],
    ['a resize to 0x0', (s) => s.resize(0, 0), /resize needs cols and rows from 1 to 65535, got 0x0/],
    ['a resize to 70000 columns', (s) => s.resize(70000, 24), /resize needs cols and rows from 1 to 65535/],
    ['channel 7', (s) => s.sendRaw(Buffer.of(7, 1)), /channel 7 is not writable by the gateway/],
    ['an empty data frame', (s) => s.sendRaw(Buffer.alloc(0)), /empty data frame/],
    ['close of channel 1', (s) => s.sendRaw(Buffer.of(255, 1)), /close message must be \[255, 0\]/],
    ['a resize message that is not JSON', (s) => s.sendRaw(Buffer.from('\x04{"Width":')), /resize message is not valid JSON/],
    ['a resize message with strings', (s) => s.sendRaw(Buffer.from('\x04{"Width":"80","Height":"24"}')), /Width must be an integer/],
    ['an Opened from the gateway', (s) => link.link.send({ stream: s.id, kind: 'opened', opened: { window: 1024 } }), /unexpected opened frame/],
  ];
  for (const [name, offend, message] of cases) {
    const stream = link.open({ machine: 'offender' });
    await stream.waitOpened();
    offend(stream);
    t.match(await stream.waitClosed(), { code: 400, reason: 'BadRequest', message }, name);
    await neighbour.write(`after ${name}`);
    await neighbour.waitOutput(`after ${name}`);
  }
  t.pass('the neighbour echoed after every offence');
  await waitFor(() => fakeConsoles() === 1, 'the offenders\' consoles to be released', 10_000);
  t.ok(link.link.isOpen, 'the link is still up');
  link.destroy();
  await stillHealthy(t);
});

t.test('bytes that are no frames break that link only, and its consoles are released', async (t) => {
  const cases: [string, Buffer][] = [
    ['a malformed length prefix', Buffer.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ['a body that is not protobuf', Buffer.of(0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ['an empty frame', Buffer.of(0x00)],
    ['a 2 MiB frame', Buffer.concat([Buffer.of(0x80, 0x80, 0x80, 0x01), Buffer.alloc(1024)])],
    ['a truncated frame, then the end', Buffer.of(100, 1, 2, 3)],
    ['data on stream 0', encodeFrame({ stream: 0, kind: 'data', data: Buffer.from('\x00x') })],
    ['an Open on stream 0', encodeFrame({ stream: 0, kind: 'open', open: { namespace: 'default', machine: 'm', window: 65536 } })],
  ];
  for (const [name, bytes] of cases) {
    const link = await connect();
    const streams = [link.open({ machine: 'victim-a' }), link.open({ machine: 'victim-b' })];
    await Promise.all(streams.map((stream) => stream.waitOpened()));
    link.link.socket.write(bytes);
    if (name.includes('then the end')) link.link.socket.end();
    await link.waitClosed();
    await waitFor(() => fakeConsoles() === 0, `${name}: the broken link's consoles to be released`, 10_000);
    t.pass(`${name}: the provider closed the link and released its consoles`);
  }
  await stillHealthy(t);
});

t.test('a link that opens hundreds of streams and vanishes leaves nothing behind', async (t) => {
  const link = await connect();
  const streams = Array.from({ length: 200 }, (_, i) => link.open({ machine: `flood-${i}` }));
  await Promise.all(streams.map((stream) => stream.waitOpened()));
  // The device may see the provider's connection a moment after the provider sees it connected.
  await waitFor(() => fakeConsoles() === 200, '200 consoles to be open at the device', 10_000).catch(() => {});
  t.equal(fakeConsoles(), 200, '200 consoles open');
  link.link.socket.destroy();
  await waitFor(() => fakeConsoles() === 0, 'every console to be released', 15_000);
  t.pass('all 200 released');
  await stillHealthy(t);
});

t.test('bad requests to the link endpoint get an HTTP Status', async (t) => {
  const ask = (method: string, path: string, headers: Record<string, string>) =>
    new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: provider.port, method, path, headers, ...tls, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ code: res.statusCode ?? 0, body: '' });
      });
      req.on('error', reject);
      req.end();
    });
  const link = '/apis/console.ironcore.dev/v1/link';
  for (const [name, method, path, headers, code] of [
    ['no Upgrade header', 'GET', link, {}, 400],
    ['another protocol in Upgrade', 'GET', link, { Connection: 'Upgrade', Upgrade: 'websocket' }, 400],
    ['POST', 'POST', link, { Connection: 'Upgrade', Upgrade: 'console.ironcore.dev/v1' }, 405],
    ['an unknown path', 'GET', '/apis/console.ironcore.dev/v2/link', { Connection: 'Upgrade', Upgrade: 'console.ironcore.dev/v1' }, 404],
    ['a path with ..', 'GET', '/apis/console.ironcore.dev/v1/../v1/link', { Connection: 'Upgrade', Upgrade: 'console.ironcore.dev/v1' }, 404],
  ] as const) {
    const answer = await ask(method, path, headers);
    t.equal(answer.code, code, `${name}: HTTP ${code}`);
    t.match(answer.body, /"kind":"Status"/, `${name}: with a Status body`);
  }
  await stillHealthy(t);
});

t.test('the provider holds no more than it did', async (t) => {
  for (const link of links) if (link !== healthyLink) link.destroy();
  const pid = provider.process.pid!;
  await waitFor(() => openFds(pid) <= baselineFds + 4, 'the provider to close what the fake links left', 15_000).catch(() => {});
  t.ok(openFds(pid) <= baselineFds + 4, `provider file descriptors ${openFds(pid)} (baseline ${baselineFds})`);
  t.equal(fakeConsoles(), 0, 'no console is held for a fake link');
  await stillHealthy(t);
});
