// The small parts of lib/client: the escape key, durations, the exec URL, the asciicast writer.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  AsciicastRecorder,
  ExecError,
  describeEscapeKey,
  execUrl,
  isEscapeChunk,
  parseDuration,
  parseEscapeKey,
} from '../../lib/client/index.js';
import { formatDuration } from '../../lib/client/duration.js';
import { tempDir } from './fixtures/cli.js';

t.test('escape keys in ^X notation', async (t) => {
  t.equal(parseEscapeKey('^]'), 0x1d);
  t.equal(parseEscapeKey('^A'), 0x01);
  t.equal(parseEscapeKey('^a'), 0x01, 'letters in either case');
  t.equal(parseEscapeKey('^@'), 0x00);
  t.equal(parseEscapeKey('^?'), 0x7f);
  t.equal(parseEscapeKey('none'), undefined);
  for (const bad of ['', ']', '^', '^^^', '^1', 'ctrl-]', '^é']) {
    t.throws(() => parseEscapeKey(bad), { name: 'ExecError', kind: 'usage' }, JSON.stringify(bad));
  }
  fc.assert(
    fc.property(fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)), (key) => parseEscapeKey(describeEscapeKey(key)) === key),
  );
});

t.test('the escape key counts only alone in a read', async (t) => {
  t.ok(isEscapeChunk(Buffer.from([0x1d]), 0x1d));
  t.notOk(isEscapeChunk(Buffer.from('a\x1db'), 0x1d), 'inside a paste');
  t.notOk(isEscapeChunk(Buffer.from([0x1d, 0x1d]), 0x1d), 'twice in one read');
  t.notOk(isEscapeChunk(Buffer.from([0x01]), 0x1d));
});

t.test('durations', async (t) => {
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('2s'), 2000);
  t.equal(parseDuration('1.5m'), 90_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration('1m30s'), 90_000, 'compound, as Go writes them');
  t.equal(parseDuration('0s'), 0, 'zero is a duration; --idle-exit refuses it itself');
  for (const bad of ['2', '-1s', 's', '2 days', '1e3ms', ' 2s', '2s ', '1m 30s']) t.equal(parseDuration(bad), undefined, bad);
});

t.test('durations written for help texts: the largest whole unit, read back the same', async (t) => {
  t.same([120_000, 30_000, 2000, 1500, 7_200_000, 0].map(formatDuration), ['2m', '30s', '2s', '1500ms', '2h', '0ms']);
  fc.assert(fc.property(fc.nat(), (ms) => parseDuration(formatDuration(ms)) === ms));
});

t.test('the exec URL: a wss:// URL under the server\'s path, with boolean query parameters', async (t) => {
  const query = { tty: true, stdin: false, takeover: false, readOnly: true, noReplay: true, announceOffset: false, announceRole: false };
  t.equal(
    execUrl('https://gw.example:6443/prefix/', 'ns1', 'web-1.a', query).href,
    'wss://gw.example:6443/prefix/apis/compute.ironcore.dev/v1alpha1/namespaces/ns1/machines/web-1.a/exec?tty=true&stdin=false&takeover=false&readOnly=true&noReplay=true',
  );
  t.match(execUrl('https://gw', 'ns1', 'm1', { ...query, announceOffset: true, replayFrom: 42 }).search, /&replayFrom=42&announceOffset=true$/);
  t.match(execUrl('http://127.0.0.1:8080', 'default', 'm1', query).href, /^ws:\/\/127\.0\.0\.1:8080\/apis\//);
  for (const [server, namespace, machine] of [
    ['https://gw', 'default', '../etc'],
    ['https://gw', 'default', 'M1'],
    ['https://gw', 'default', 'a%2Fb'],
    ['https://gw', 'Default', 'm1'],
    ['ftp://gw', 'default', 'm1'],
    ['not a url', 'default', 'm1'],
  ] as const) {
    t.throws(() => execUrl(server, namespace, machine, query), { name: 'ExecError', kind: 'usage' }, `${server} ${namespace} ${machine}`);
  }
});

t.test('asciicast v2: header, output events with whole UTF-8 characters, resizes', async (t) => {
  const dir = tempDir('client-asciicast-');
  t.teardown(dir.remove);
  const path = join(dir.path, 'a.cast');
  const recorder = new AsciicastRecorder(path, { cols: 100, rows: 40 }, 'ns/m', { SHELL: '/bin/zsh', TERM: 'xterm', SECRET: 'x' });
  const euro = Buffer.from('€');
  recorder.output(Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]));
  recorder.output(euro.subarray(1));
  recorder.resize({ cols: 120, rows: 50 });
  recorder.output(Buffer.from('\x1b[2J'));
  recorder.close();
  const [header, ...events] = readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  t.match(header, { version: 2, width: 100, height: 40, title: 'ns/m', env: { SHELL: '/bin/zsh', TERM: 'xterm' } });
  t.notOk('SECRET' in header.env, 'only SHELL and TERM from the environment');
  t.same(
    events.map(([, type, data]: [number, string, string]) => [type, data]),
    [['o', 'price: '], ['o', '€'], ['r', '120x50'], ['o', '\x1b[2J']],
  );
  t.ok(events.every(([time]: [number]) => time >= 0));
});

t.test('ExecError carries its kind', async (t) => {
  const error = new ExecError('notFound', 'gone');
  t.equal(error.kind, 'notFound');
  t.equal(error.message, 'gone');
});
