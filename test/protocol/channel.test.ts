import t from 'tap';
import fc from 'fast-check';
import {
  CHANNEL_PROTOCOLS,
  CLOSE,
  ChannelProtocolError,
  RESIZE,
  STDIN,
  channelMessage,
  checkClientMessage,
  decodeBase64Message,
  encodeBase64Message,
  errorChannelPayload,
  exitCodeOf,
  exitCodeStatus,
  failureStatus,
  parseErrorChannel,
  parseResize,
  successStatus,
} from '../../lib/protocol/index.js';

t.test('base64 messages round-trip every payload on every channel', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 4096 }), (channel, payload) => {
      const binary = channelMessage(channel, payload);
      const text = encodeBase64Message(binary);
      if (text[0] !== String(channel)) return false;
      const back = decodeBase64Message(text);
      return Buffer.isBuffer(back) && back.equals(binary);
    }),
    { numRuns: 500 },
  );
  t.equal(encodeBase64Message(channelMessage(1, 'hi')), '1aGk=');
  t.same(decodeBase64Message('0aGk='), Buffer.from([0, 104, 105]));
  t.same(decodeBase64Message('0'), Buffer.from([0]), 'an empty payload is fine');
});

t.test('invalid base64 text is a protocol error, not a crash', async (t) => {
  for (const bad of ['', 'x', ':aGk=', '0aGk', '0a=Gk', '0aGk=\n', '0a\u00e9Gk', '0aGk==', '0****']) {
    const result = decodeBase64Message(bad);
    t.type(result, ChannelProtocolError, JSON.stringify(bad));
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 64 }), (text) => {
      const result = decodeBase64Message(text);
      return Buffer.isBuffer(result) || result instanceof ChannelProtocolError;
    }),
    { numRuns: 2000 },
  );
});

t.test('clients may send stdin, resize (v4+) and close (v5) only', async (t) => {
  const stdin = channelMessage(STDIN, 'ls\n');
  const resize = channelMessage(RESIZE, '{"Width":80,"Height":24}');
  const close = Buffer.from([CLOSE, STDIN]);
  for (const protocol of CHANNEL_PROTOCOLS) {
    t.equal(checkClientMessage(protocol, stdin), undefined, `${protocol}: stdin`);
    t.equal(checkClientMessage(protocol, channelMessage(1, 'x'))?.code, 400, `${protocol}: stdout refused`);
    t.equal(checkClientMessage(protocol, Buffer.alloc(0))?.code, 400, `${protocol}: empty refused`);
  }
  t.equal(checkClientMessage('v4.channel.k8s.io', resize), undefined);
  t.equal(checkClientMessage('v4.base64.channel.k8s.io', resize), undefined);
  t.type(checkClientMessage('channel.k8s.io', resize), ChannelProtocolError, 'v1 has no resize channel');
  t.equal(checkClientMessage('v5.channel.k8s.io', close), undefined);
  t.type(checkClientMessage('v4.channel.k8s.io', close), ChannelProtocolError, 'close is v5 only');
  t.match(checkClientMessage('v5.channel.k8s.io', Buffer.from([CLOSE, 1]))?.message, /only stdin/);
  t.match(checkClientMessage('v5.channel.k8s.io', Buffer.from([CLOSE]))?.message, /\[255, channel\]/);
  t.match(checkClientMessage('v5.channel.k8s.io', Buffer.from([9, 1]))?.message, /channel 9 is not writable/);
});

t.test('resize JSON is validated, never trusted', async (t) => {
  const ok = (json: string) => parseResize(Buffer.from(json));
  t.same(ok('{"Width":80,"Height":24}'), { cols: 80, rows: 24 });
  t.same(ok('{"width":1,"height":65535}'), { cols: 1, rows: 65535 }, 'keys match case-insensitively, as Go does');
  for (const bad of [
    '', 'null', '[]', '42', '"x"', '{', '{}', '{"Width":80}', '{"Height":24}',
    '{"Width":0,"Height":24}', '{"Width":-1,"Height":24}', '{"Width":65536,"Height":24}',
    '{"Width":80.5,"Height":24}', '{"Width":"80","Height":24}', '{"Width":null,"Height":24}',
    '{"Width":1e400,"Height":24}', '\u00ff\u00fe',
  ]) {
    const result = ok(bad);
    t.type(result, ChannelProtocolError, JSON.stringify(bad));
  }
  t.match((ok('{"Width":-3,"Height":24}') as Error).message, /Width must be an integer from 1 to 65535, got -3/);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const result = parseResize(bytes);
      return result instanceof ChannelProtocolError || (Number.isInteger(result.cols) && Number.isInteger(result.rows));
    }),
    { numRuns: 2000 },
  );
});

t.test('error channel Status matches what the kubelet writes', async (t) => {
  const exit = exitCodeStatus(3);
  t.same(JSON.parse(errorChannelPayload('v5.channel.k8s.io', exit)!.toString()), {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [console], exit code 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  t.equal(errorChannelPayload('v4.channel.k8s.io', successStatus())!.toString(), '{"metadata":{},"status":"Success"}');
  t.equal(errorChannelPayload('channel.k8s.io', successStatus()), undefined, 'v1 writes nothing on success');
  t.equal(errorChannelPayload('base64.channel.k8s.io', failureStatus(404, 'not found'))!.toString(), 'not found', 'v1 writes the message only');
  const http = failureStatus(404, 'machines.compute.ironcore.dev "m1" not found', undefined, { name: 'm1', group: 'compute.ironcore.dev', kind: 'machines' });
  t.same(http, {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'machines.compute.ironcore.dev "m1" not found', reason: 'NotFound',
    details: { name: 'm1', group: 'compute.ironcore.dev', kind: 'machines' }, code: 404,
  });
  const channelForm = JSON.parse(errorChannelPayload('v5.channel.k8s.io', http)!.toString());
  t.equal(channelForm.code, 404, 'the channel form keeps the code');
  t.notOk('kind' in channelForm || 'apiVersion' in channelForm, 'but has no type meta');
  t.equal(exitCodeOf(exit), 3);
  t.equal(exitCodeOf(successStatus()), 0);
  t.equal(exitCodeOf(failureStatus(500, 'boom')), undefined);
});

t.test('the error channel reads back what each protocol writes', async (t) => {
  const statuses = [successStatus(), exitCodeStatus(3), failureStatus(503, 'provider shutting down')];
  for (const protocol of CHANNEL_PROTOCOLS) {
    for (const status of statuses) {
      const payload = errorChannelPayload(protocol, status);
      if (!payload) {
        t.equal(status.status, 'Success', `${protocol} leaves out only a success`);
        continue;
      }
      const read = parseErrorChannel(protocol, payload);
      if (read instanceof ChannelProtocolError) {
        t.fail(`${protocol}: ${read.message}`);
        continue;
      }
      t.equal(read.status, status.status, protocol);
      t.equal(read.message, status.message, protocol);
      if (protocol.startsWith('v')) t.equal(exitCodeOf(read), exitCodeOf(status), `${protocol} carries the exit code`);
    }
  }
  t.type(parseErrorChannel('v4.channel.k8s.io', Buffer.from('exit status 3')), ChannelProtocolError, 'v4 text is not a Status');
  t.type(parseErrorChannel('v5.channel.k8s.io', Buffer.from('{"status":"Maybe"}')), ChannelProtocolError);
  t.type(parseErrorChannel('v5.channel.k8s.io', Buffer.from('null')), ChannelProtocolError);
  t.same(parseErrorChannel('channel.k8s.io', Buffer.from('exit status 3')), { metadata: {}, status: 'Failure', message: 'exit status 3' });
});
