// Bad input from clients, against the gateway process: garbage and malformed HTTP, broken
// upgrade requests, hostile paths, malformed websocket frames, oversized messages, unknown
// channels, bad base64 and UTF-8, and resize messages of every wrong shape. Each must get a
// clear error for its own connection or session (an HTTP Status, a Status on the error
// channel, or a close), while a healthy session next to it keeps working, the gateway never
// crashes, and nothing is left behind.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { execPath } from '../fixtures/stack.js';
import { ConsoleClient } from './fixtures/console-client.js';
import type { EchoProvider } from './fixtures/echo-provider.js';
import { startEchoWorld, type EchoWorld } from './fixtures/echo-world.js';
import { expectNoLeaks, footprint, type Footprint } from './fixtures/leak-check.js';
import { RawConnection } from './fixtures/raw-connection.js';
import { sendUpgrade, upgradeRequest, type UpgradeSpec } from './fixtures/upgrade-request.js';
import { waitFor } from './fixtures/wait.js';
import { OPCODE, binaryMessage, encodeFrame, parseServerFrames } from './fixtures/websocket-frames.js';
import { ALICE, type World } from './fixtures/world.js';

/** uWS closes a connection that sends no complete request within its ~10 s HTTP idle timeout. */
const IDLE_CLOSE_MS = 20_000;
const EXEC_PREFIX = '/apis/compute.ironcore.dev/v1alpha1/namespaces';

let echo: EchoWorld;
let world: World;
let provider: EchoProvider;
let baseline: Footprint;
let healthy: ConsoleClient;
let healthChecks = 0;

t.before(async () => {
  echo = await startEchoWorld();
  ({ world, provider } = echo);
  baseline = footprint(world.gateway);
  healthy = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE });
  await healthy.echo('first');
});

t.teardown(async () => {
  healthy?.ws.terminate();
  await echo?.close();
});

async function stillHealthy(t: Test): Promise<void> {
  await healthy.echo(`healthy-${healthChecks++}`);
  t.ok(world.gateway.alive, 'the gateway is running and the healthy session still echoes');
}

async function noLeaks(t: Test): Promise<void> {
  // The healthy session holds one console and one gateway session throughout.
  await waitFor(async () => (await world.gateway.sessionsActive()) === 1 && provider.backend.openStreams === 1, 'only the healthy session to be left', 20_000, 250).catch(() => {});
  t.equal(await world.gateway.sessionsActive(), 1, 'only the healthy session is open at the gateway');
  t.equal(provider.backend.openStreams, 1, 'only the healthy console is open at the provider');
  healthy.ws.close();
  await healthy.closed;
  await expectNoLeaks(t, world.gateway, baseline, { zero: { 'open console streams': () => provider.backend.openStreams } });
  healthy = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE });
}

t.test('garbage instead of HTTP, and malformed requests: the connection is closed, nobody else notices', async (t) => {
  const path = execPath('default', 'echo');
  const cases: [string, string | Buffer][] = [
    ['random bytes', randomBytes(600)],
    ['NUL bytes', Buffer.alloc(64)],
    ['a TLS record inside TLS', Buffer.of(0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5)],
    ['a request line of garbage', 'GARBAGE GARBAGE\r\n\r\n'],
    ['HTTP/9.9', `GET ${path} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`],
    ['a header without a colon', `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon in this header\r\n\r\n`],
    ['a NUL inside a header', `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nul: a\0b\r\n\r\n`],
    ['a 100 KB header', upgradeRequest({ token: ALICE, headers: [`X-Big: ${'a'.repeat(100_000)}`] })],
    ['2000 headers', upgradeRequest({ token: ALICE, headers: Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`) })],
    ['a 100 KB URL', upgradeRequest({ token: ALICE, path: `${path}&pad=${'a'.repeat(100_000)}` })],
    ['a truncated request', `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webso`],
  ];
  const outcomes = await Promise.all(cases.map(async ([name, bytes]) => {
    const connection = await RawConnection.open(world.gateway.port, world.gateway.ca);
    connection.write(bytes);
    const closed = await connection.closedWithin(IDLE_CLOSE_MS);
    return { name, closed, after: connection.closedAfterMs, answer: connection.statusCode };
  }));
  for (const { name, closed, after, answer } of outcomes) {
    t.ok(closed, `${name}: closed after ${after} ms, ${answer ? `answered HTTP ${answer}` : 'without an answer'}`);
    t.not(answer, 101, `${name}: never upgraded`);
  }
  await stillHealthy(t);
  await noLeaks(t);
});

t.test('broken upgrade requests get an HTTP error with a Status, never a websocket', async (t) => {
  const cases: [string, UpgradeSpec][] = [
    ['a Sec-WebSocket-Key that is not 16 bytes of base64', { key: 'abc' }],
    ['a Sec-WebSocket-Key of 24 characters that is not base64', { key: '!!!!!!!!!!!!!!!!!!!!!!!!' }],
    ['no Sec-WebSocket-Key', { key: null }],
    ['Sec-WebSocket-Version 8', { version: '8' }],
    ['no channel subprotocol', { protocol: 'chat, superchat' }],
    ['an empty subprotocol header', { protocol: '' }],
    ['PUT', { method: 'PUT' }],
    ['a bad query value', { path: execPath('default', 'echo', 'tty=maybe') }],
  ];
  for (const [name, spec] of cases) {
    const connection = await sendUpgrade(world.gateway.port, world.gateway.ca, { token: ALICE, ...spec });
    const code = connection.statusCode;
    t.ok(code !== undefined && code >= 400 && code < 500, `${name}: HTTP ${code}`);
    const body = connection.afterHeaders.toString('utf8');
    if (code !== undefined && code >= 400) t.match(body, /"kind":"Status"/, `${name}: a Status body: ${body.slice(0, 160)}`);
    connection.destroy();
  }
  await stillHealthy(t);
});

t.test('hostile path segments are refused with 400 (or 404) before any lookup', async (t) => {
  const lookups = () => world.kube.requestCount('/apis/authorization.k8s.io/v1/subjectaccessreviews');
  const before = lookups();
  const cases: [string, string, RegExp][] = [
    ['.. as the namespace', `${EXEC_PREFIX}/../machines/echo/exec`, /invalid namespace/],
    ['.. as the machine', `${EXEC_PREFIX}/default/machines/../exec`, /invalid machine name/],
    ['. as the namespace', `${EXEC_PREFIX}/./machines/echo/exec`, /invalid namespace/],
    ['%2e%2e as the namespace', `${EXEC_PREFIX}/%2e%2e/machines/echo/exec`, /invalid namespace/],
    ['%2F in the machine', `${EXEC_PREFIX}/default/machines/a%2Fb/exec`, /invalid machine name/],
    ['%2F in the namespace', `${EXEC_PREFIX}/kube-system%2Fx/machines/echo/exec`, /invalid namespace/],
    ['%00 in the machine', `${EXEC_PREFIX}/default/machines/echo%00/exec`, /invalid machine name/],
    ['an upper-case namespace', `${EXEC_PREFIX}/Default/machines/echo/exec`, /invalid namespace/],
    ['an upper-case machine', `${EXEC_PREFIX}/default/machines/ECHO/exec`, /invalid machine name/],
    ['a 300-character machine', `${EXEC_PREFIX}/default/machines/${'a'.repeat(300)}/exec`, /no more than 253 characters/],
    ['a 300-character namespace', `${EXEC_PREFIX}/${'a'.repeat(300)}/machines/echo/exec`, /no more than 63 characters/],
    ['an empty machine', `${EXEC_PREFIX}/default/machines//exec`, /invalid machine name|could not find the requested resource/],
  ];
  for (const [name, path, message] of cases) {
    const connection = await sendUpgrade(world.gateway.port, world.gateway.ca, { token: ALICE, path: `${path}?stdin=true&tty=true` });
    const code = connection.statusCode;
    t.ok(code === 400 || code === 404, `${name}: HTTP ${code}`);
    t.match(connection.afterHeaders.toString('utf8'), message, `${name}: ${connection.afterHeaders.toString('utf8').slice(0, 120)}`);
    connection.destroy();
  }
  const extra = await sendUpgrade(world.gateway.port, world.gateway.ca, { token: ALICE, path: `${EXEC_PREFIX}/default/machines/echo/extra/exec` });
  const closed = extra.statusCode !== undefined || (await extra.closedWithin(IDLE_CLOSE_MS));
  t.ok(closed, `a path with an extra segment: ${extra.statusCode ? `HTTP ${extra.statusCode}` : 'closed'}, never upgraded`);
  t.not(extra.statusCode, 101);
  extra.destroy();
  t.equal(lookups(), before, 'no SubjectAccessReview was asked for any of them');
  await stillHealthy(t);
});

/** Opens a raw websocket session on default/echo with `protocol`; fails the test if not upgraded. */
async function rawSession(t: Test, protocol = 'v5.channel.k8s.io'): Promise<RawConnection> {
  const connection = await sendUpgrade(world.gateway.port, world.gateway.ca, { token: ALICE, protocol });
  t.equal(connection.statusCode, 101, `upgraded (${protocol})`);
  return connection;
}

/**
 * What the gateway wrote on the error channel of a raw base64-protocol session, if anything:
 * v4 writes a Status as JSON, the original protocol only the message.
 */
function errorChannelStatus(connection: RawConnection): { message?: string } | undefined {
  for (const frame of parseServerFrames(connection.afterHeaders)) {
    if (frame.opcode !== OPCODE.text || frame.payload[0] !== 0x33) continue;
    const text = Buffer.from(frame.payload.toString('latin1', 1), 'base64').toString('utf8');
    return text.startsWith('{') ? JSON.parse(text) : { message: text };
  }
  return undefined;
}

t.test('malformed websocket frames close that session only', async (t) => {
  const cases: [string, Buffer][] = [
    ['reserved bits set', encodeFrame({ opcode: OPCODE.binary, rsv: 3, payload: Buffer.of(0, 65) })],
    ['an unknown opcode (3)', encodeFrame({ opcode: 3, payload: Buffer.of(0, 65) })],
    ['an unknown control opcode (11)', encodeFrame({ opcode: 11, payload: '' })],
    ['a fragmented ping', encodeFrame({ opcode: OPCODE.ping, fin: false, payload: 'x' })],
    ['a 200-byte ping', encodeFrame({ opcode: OPCODE.ping, payload: Buffer.alloc(200) })],
    ['a continuation with nothing to continue', encodeFrame({ opcode: OPCODE.continuation, payload: Buffer.of(0, 65) })],
    ['a length of 2^62', encodeFrame({ opcode: OPCODE.binary, payload: Buffer.alloc(16), declaredLength: 2 ** 62 })],
    ['a close frame with code 999', encodeFrame({ opcode: OPCODE.close, payload: Buffer.of(0x03, 0xe7) })],
    ['a close frame with a 1-byte body', encodeFrame({ opcode: OPCODE.close, payload: Buffer.of(3) })],
    ['a message of 1 MiB + 1 byte', encodeFrame({ opcode: OPCODE.binary, payload: Buffer.concat([Buffer.of(0), Buffer.alloc(1 << 20, 0x61)]) })],
    ['a fragmented message adding up to 1.5 MiB', Buffer.concat([
      encodeFrame({ opcode: OPCODE.binary, fin: false, payload: Buffer.concat([Buffer.of(0), Buffer.alloc(1 << 19, 0x61)]) }),
      encodeFrame({ opcode: OPCODE.continuation, fin: false, payload: Buffer.alloc(1 << 19, 0x62) }),
      encodeFrame({ opcode: OPCODE.continuation, payload: Buffer.alloc(1 << 19, 0x63) }),
    ])],
  ];
  for (const [name, bytes] of cases) {
    const connection = await rawSession(t);
    connection.write(bytes);
    t.ok(await connection.closedWithin(10_000), `${name}: the session is closed (after ${connection.closedAfterMs} ms)`);
  }
  // RFC 6455 wants these refused; uWS is lenient with them. That is uWS's framing, harmless to
  // the gateway (masking protects proxies, not servers), so these only record what happens.
  const lenient: [string, Buffer][] = [
    ['an unmasked client frame', encodeFrame({ opcode: OPCODE.binary, mask: false, payload: Buffer.from('\0lenient-marker') })],
    ['a new message inside a fragmented one', Buffer.concat([
      encodeFrame({ opcode: OPCODE.binary, fin: false, payload: Buffer.from('\0lenient-') }),
      encodeFrame({ opcode: OPCODE.binary, payload: Buffer.from('\0marker') }),
    ])],
  ];
  for (const [name, bytes] of lenient) {
    const connection = await rawSession(t);
    connection.write(bytes);
    const echoed = await connection.until(() => connection.afterHeaders.includes('marker'), 3000);
    const outcome = echoed ? 'taken as input (uWS is lenient here)' : connection.closedAfterMs !== undefined ? 'refused with a close' : 'ignored, the session stays open';
    t.comment(`${name}: ${outcome}`);
    connection.destroy();
  }
  await stillHealthy(t);
  await noLeaks(t);
});

t.test('a message of exactly 1 MiB (the limit) is accepted and echoed whole', async (t) => {
  const client = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE });
  const payload = randomBytes((1 << 20) - 1);
  client.send(0, payload);
  await client.until(() => client.stdout.length >= payload.length, 'the echo of 1 MiB', 30_000);
  t.ok(client.stdout.equals(payload), 'every byte came back');
  client.ws.close();
  await client.closed;
});

t.test('messages a client may not send end its session with 400 on the error channel', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['an empty message', Buffer.alloc(0), /empty message/],
    ['channel 1 (stdout) from the client', Buffer.from('\x01hi'), /channel 1 is not writable/],
    ['channel 3 (error) from the client', Buffer.from('\x03{}'), /channel 3 is not writable/],
    ['channel 7', Buffer.of(7, 1, 2), /channel 7 is not writable/],
    ['channel 254', Buffer.of(254, 0), /channel 254 is not writable/],
    ['close of channel 1', Buffer.of(255, 1), /close of channel 1 is not supported/],
    ['a bare close byte', Buffer.of(255), /close message must be \[255, channel\]/],
    ['a close with extra bytes', Buffer.of(255, 0, 0), /close message must be \[255, channel\]/],
    ['resize: not JSON', Buffer.from('\x04{Width:80'), /not valid JSON/],
    ['resize: an array', Buffer.from('\x04[80,24]'), /must be a JSON object/],
    ['resize: null', Buffer.from('\x04null'), /must be a JSON object/],
    ['resize: empty', Buffer.from('\x04'), /not valid JSON/],
    ['resize: a negative width', Buffer.from('\x04{"Width":-80,"Height":24}'), /Width must be an integer from 1 to 65535/],
    ['resize: a zero height', Buffer.from('\x04{"Width":80,"Height":0}'), /Height must be an integer from 1 to 65535/],
    ['resize: a huge width', Buffer.from('\x04{"Width":4294967376,"Height":24}'), /Width must be an integer/],
    ['resize: 65536 rows', Buffer.from('\x04{"Width":80,"Height":65536}'), /Height must be an integer/],
    ['resize: a fraction', Buffer.from('\x04{"Width":80.5,"Height":24}'), /Width must be an integer/],
    ['resize: a missing width', Buffer.from('\x04{"Height":24}'), /Width must be an integer .* got nothing/],
    ['resize: a missing height', Buffer.from('\x04{"Width":80}'), /Height must be an integer .* got nothing/],
    ['resize: string fields', Buffer.from('\x04{"Width":"80","Height":"24"}'), /Width must be an integer .* got "80"/],
    ['resize: 1e400', Buffer.from('\x04{"Width":1e400,"Height":24}'), /Width must be an integer/],
  ];
  for (const [name, message, expected] of cases) {
    const client = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE });
    client.ws.send(message);
    t.equal(await client.waitClosed(), 1000, `${name}: closed normally`);
    t.match(client.status, { status: 'Failure', reason: 'BadRequest', message: expected }, `${name}: ${client.status?.message}`);
  }
  const original = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE, protocols: ['channel.k8s.io'] });
  original.send(4, '{"Width":80,"Height":24}');
  await original.waitClosed();
  t.match(Buffer.concat(original.channels[3]!).toString(), /channel 4 is not writable by the client over channel.k8s.io/, 'resize over channel.k8s.io (it has no resize channel): 400');
  await stillHealthy(t);
});

t.test('base64 protocols: bad base64, invalid UTF-8 and binary frames end that session', async (t) => {
  const cases: [string, Buffer, RegExp | undefined][] = [
    ['invalid base64', encodeFrame({ opcode: OPCODE.text, payload: '0abc$' }), /payload is not valid base64/],
    ['base64 without its padding', encodeFrame({ opcode: OPCODE.text, payload: '0YWJjZA' }), /payload is not valid base64/],
    ['a channel that is not a digit', encodeFrame({ opcode: OPCODE.text, payload: 'xYWJj' }), /invalid channel character/],
    ['an empty text message', encodeFrame({ opcode: OPCODE.text, payload: '' }), /empty message/],
    ['a binary message', binaryMessage(0, 'hello'), /binary message on a base64 protocol/],
    // Invalid UTF-8 in a text frame is refused by uWS itself (a close, no Status).
    ['invalid UTF-8', encodeFrame({ opcode: OPCODE.text, payload: Buffer.of(0x30, 0xff, 0xfe, 0x41, 0x41) }), undefined],
    ['an overlong UTF-8 encoding', encodeFrame({ opcode: OPCODE.text, payload: Buffer.of(0x30, 0xc0, 0xaf) }), undefined],
    ['a UTF-16 surrogate in UTF-8', encodeFrame({ opcode: OPCODE.text, payload: Buffer.of(0x30, 0xed, 0xa0, 0x80) }), undefined],
  ];
  for (const protocol of ['v4.base64.channel.k8s.io', 'base64.channel.k8s.io']) {
    for (const [name, frame, expected] of cases) {
      const connection = await rawSession(t, protocol);
      connection.write(frame);
      t.ok(await connection.closedWithin(10_000), `${protocol}, ${name}: the session is closed`);
      const status = errorChannelStatus(connection);
      if (expected) t.match(status, { message: expected }, `${protocol}, ${name}: ${status?.message}`);
    }
  }
  await stillHealthy(t);
  await noLeaks(t);
});
