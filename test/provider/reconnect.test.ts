// Reconnecting without duplicate replay: console output offsets (Opened.output_offset and the
// websocket's X-Console-Output-Offset) and the replay from an offset (Open.replay_from, the
// websocket's replayFrom query parameter), over the link and the per-machine websocket.
import t from 'tap';
import { parseExecQuery } from '../../lib/protocol/index.js';
import { eventually, until } from '../link/fixtures/wait.js';
import { ExecClient, ExecRefused } from './fixtures/exec-client.js';
import type { TestLink, TestStream } from './fixtures/link-client.js';
import { startProvider } from './fixtures/provider.js';

/** A writer that keeps the console open while other sessions come and go; `say` waits for the echo. */
async function keeper(link: TestLink, machine = 'echo-1'): Promise<{ stream: TestStream; say: (text: string) => Promise<void> }> {
  const stream = link.open({ machine });
  await stream.waitOpened();
  const say = async (text: string): Promise<void> => {
    const before = stream.output.length;
    await stream.write(text);
    await until(stream, () => stream.output.length >= before + text.length, `the echo of ${JSON.stringify(text)}`);
  };
  return { stream, say };
}

/**
 * A link stream's output offset, from its Opened. Number(): an output_offset of 0 is not on the
 * wire, and its default decodes as a Long when the long package is installed.
 */
async function openedAt(stream: TestStream): Promise<number> {
  return Number((await stream.waitOpened()).outputOffset);
}

/** A websocket session's output offset, from its 101 answer. */
function offsetHeader(client: ExecClient): number {
  const value = client.upgradeHeaders['x-console-output-offset'];
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new Error(`bad X-Console-Output-Offset: ${JSON.stringify(value)}`);
  return Number(value);
}

t.test('link: a stream reopened with replay_from = the end of what it got receives exactly the output since', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 4096 });
  const link = await provider.connect();
  const { stream: writer, say } = await keeper(link);
  await say('login: ');

  const first = link.open({ machine: 'echo-1', stdin: false });
  t.equal(await openedAt(first), 0, 'the whole scrollback, from the console\'s first byte');
  await say('root\n');
  await first.waitOutput('login: root\n');
  t.equal(first.output, 'login: root\n');
  const end = (await openedAt(first)) + first.outputBytes.length;
  t.equal(end, 12);
  first.close();

  await say('Password: ');
  await say('\r\n$ ');
  const second = link.open({ machine: 'echo-1', stdin: false, replayFrom: end });
  t.equal(await openedAt(second), 12);
  await second.waitOutput('Password: \r\n$ ');
  await say('ls\n'); // live output goes on right after the replay
  await second.waitOutput('ls\n');
  t.equal(second.output, 'Password: \r\n$ ls\n', 'no byte twice, none missing');
  t.equal(writer.output, 'login: root\nPassword: \r\n$ ls\n');

  // No replay: the first byte is the next live one; replay_from overrides no_replay.
  const live = link.open({ machine: 'echo-1', stdin: false, noReplay: true });
  t.equal(await openedAt(live), writer.outputBytes.length);
  const resumed = link.open({ machine: 'echo-1', stdin: false, noReplay: true, replayFrom: 24 });
  t.equal(await openedAt(resumed), 24);
  await say('!');
  await live.waitOutput('!');
  await resumed.waitOutput('!');
  t.equal(live.output, '!');
  t.equal(resumed.output, '$ ls\n!');
  t.equal(provider.backend.opened, 1, 'one console all along');
});

t.test('link: replay_from older than the scrollback gets all of it; beyond the output so far, all of it too', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 16 });
  const link = await provider.connect();
  const { say } = await keeper(link);
  await say('0123456789');
  await say('abcdefghijklmnopqrstuvwxyz'); // 36 bytes: offsets 20..35 are kept

  const old = link.open({ machine: 'echo-1', stdin: false, replayFrom: 3 });
  t.equal(await openedAt(old), 20);
  const beyond = link.open({ machine: 'echo-1', stdin: false, replayFrom: 37 });
  t.equal(await openedAt(beyond), 20, 'below its replay_from: the console restarted since');
  const atEnd = link.open({ machine: 'echo-1', stdin: false, replayFrom: 36 });
  t.equal(await openedAt(atEnd), 36);
  const inside = link.open({ machine: 'echo-1', stdin: false, replayFrom: 33 });
  t.equal(await openedAt(inside), 33);
  await say('!');
  for (const stream of [old, beyond, atEnd, inside]) await stream.waitOutput('!');
  t.equal(old.output, 'klmnopqrstuvwxyz!');
  t.equal(beyond.output, 'klmnopqrstuvwxyz!');
  t.equal(atEnd.output, '!');
  t.equal(inside.output, 'xyz!');
});

t.test('link: a reopened console counts from 0 again; a replay_from from its predecessor gets its whole scrollback', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 1024 });
  const link = await provider.connect();
  const before = await keeper(link);
  await before.say('before the restart\n');
  before.stream.close();
  await eventually(() => provider.backend.closed === 1, 'the console to close');

  const after = await keeper(link);
  t.equal(await openedAt(after.stream), 0);
  await after.say('after\n');
  const reconnect = link.open({ machine: 'echo-1', stdin: false, replayFrom: 19 });
  t.equal(await openedAt(reconnect), 0, 'below replay_from: the client can tell');
  await reconnect.waitOutput('after\n');
  t.equal(reconnect.output, 'after\n');
  t.equal(provider.backend.opened, 2);
});

t.test('link, sharing none: each session\'s own console counts from 0', async (t) => {
  const provider = await startProvider(t, { sharing: 'none' });
  const link = await provider.connect();
  const a = link.open({ machine: 'cat-1' });
  t.equal(await openedAt(a), 0);
  await a.write('abc\n');
  await a.waitOutput('abc\n');
  const b = link.open({ machine: 'cat-1', replayFrom: 4 });
  t.equal(await openedAt(b), 0);
  await b.write('x\n');
  await b.waitOutput('x\n');
  t.equal(b.output, 'x\n');
});

t.test('websocket: X-Console-Output-Offset, and replayFrom = the end of what a client got gives exactly the output since', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 16 });
  const link = await provider.connect();
  const { say } = await keeper(link);
  await say('login: ');

  const first = await ExecClient.connect(provider, 'echo-1');
  t.equal(offsetHeader(first), 0);
  await say('root\n');
  await first.waitOutput('login: root\n');
  t.equal(first.stdout, 'login: root\n');
  const end = offsetHeader(first) + first.stdout.length;
  first.ws.close();

  await say('Password: ');
  const second = await ExecClient.connect(provider, 'echo-1', { query: `replayFrom=${end}` });
  t.equal(offsetHeader(second), 12);
  await say('$ ');
  await second.waitOutput('Password: $ ');
  t.equal(second.stdout, 'Password: $ ', 'no byte twice, none missing');

  // 24 bytes so far, offsets 8..23 kept.
  const old = await ExecClient.connect(provider, 'echo-1', { query: 'replayFrom=0' });
  t.equal(offsetHeader(old), 8);
  const beyond = await ExecClient.connect(provider, 'echo-1', { query: 'replayFrom=25&noReplay=true' });
  t.equal(offsetHeader(beyond), 8, 'beyond the output so far: the console restarted, all of the scrollback');
  const live = await ExecClient.connect(provider, 'echo-1', { query: 'noReplay=true' });
  t.equal(offsetHeader(live), 24);
  await say('!');
  for (const client of [old, beyond, live]) await client.waitOutput('!');
  t.equal(old.stdout, 'oot\nPassword: $ !');
  t.equal(beyond.stdout, 'oot\nPassword: $ !');
  t.equal(live.stdout, '!');

  // A client that cannot read the 101's headers (a browser) asks for the offset in-band.
  for (const protocol of ['v5.channel.k8s.io', 'v4.base64.channel.k8s.io']) {
    const announced = await ExecClient.connect(provider, 'echo-1', { query: 'replayFrom=20&announceOffset=true', protocols: [protocol] });
    await announced.waitOutput('$ !');
    t.equal(announced.channel(5), '20', `${protocol}: the offset, in-band`);
    t.same(announced.channels.slice(0, 2), [5, 1], `${protocol}: before any output`);
    announced.ws.close();
  }
  t.notOk(live.channels.includes(5), 'only when asked');
});

t.test('websocket: a replayFrom that is not a non-negative integer is a 400 before the upgrade', async (t) => {
  const message = (value: string): string =>
    `query parameter replayFrom must be a console output offset (a non-negative integer), got ${JSON.stringify(value)}`;
  for (const value of ['-1', 'abc', '1.5', '', '1e3', '0x10', ' 1', '1234567890123456']) {
    t.equal(parseExecQuery(`/x?replayFrom=${encodeURIComponent(value)}`), message(value));
  }
  t.match(parseExecQuery('/x?replayFrom=0'), { replayFrom: 0 });
  t.match(parseExecQuery('/x?replayFrom=999999999999999&noReplay=1'), { replayFrom: 999999999999999, noReplay: true });
  t.notOk('replayFrom' in (parseExecQuery('/x?tty=1') as object), 'absent: no replayFrom');

  const provider = await startProvider(t);
  const error = await ExecClient.connect(provider, 'echo-1', { query: 'replayFrom=-1' }).catch((e: unknown) => e);
  t.type(error, ExecRefused);
  t.equal((error as ExecRefused).statusCode, 400);
  t.match(JSON.parse((error as ExecRefused).body), { kind: 'Status', code: 400, reason: 'BadRequest', message: message('-1') });
  t.equal(provider.backend.opened, 0);
});

t.test('link: a shared console lingers after its last session, so a reconnect misses nothing', async (t) => {
  const provider = await startProvider(t, { scrollbackBytes: 4096, lingerMs: 400 });
  const link = await provider.connect();
  const { stream: first, say } = await keeper(link, 'echo-linger');
  await say('a');
  const end = (await openedAt(first)) + first.outputBytes.length;
  await first.write('bcd'); // echoed while no session is attached
  first.close();

  const second = link.open({ machine: 'echo-linger', replayFrom: end });
  t.equal(await openedAt(second), end, 'the replay starts where the first session stopped');
  await second.waitOutput('bcd');
  t.equal(second.output, 'bcd', 'what the console said in between, once');
  t.equal(provider.backend.opened, 1, 'the same console');
  second.close();
  await eventually(() => provider.backend.closed === 1, 'the console closes once the linger is over');
});
