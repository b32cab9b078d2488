// The channel-protocol session codec every end uses: a client's frame and message read once
// (gateway, provider endpoint, provider link session), and a session's end said the same way
// from the console to the link's Close, to the error channel's Status, and back.
import t from 'tap';
import {
  CONSOLE_SUCCESS,
  ChannelProtocolError,
  closeFromConsoleEnd,
  closeFromStatus,
  exitCodeStatus,
  failureStatus,
  readClientFrame,
  readClientMessage,
  statusFromClose,
  successStatus,
} from '../../lib/protocol/index.js';

t.test('a client message is stdin, a resize or stdin EOF, or a clear error', async (t) => {
  const stdin = Buffer.from('\x00ls\n');
  t.same(readClientMessage(stdin), { kind: 'stdin', message: stdin, bytes: Buffer.from('ls\n') });
  t.equal((readClientMessage(stdin) as { message: Buffer }).message, stdin, 'stdin passes on as it is, no copy');
  t.same(readClientMessage(Buffer.from('\x04{"width":120,"Height":40}')), { kind: 'resize', size: { cols: 120, rows: 40 } });
  t.same(readClientMessage(Buffer.of(255, 0)), { kind: 'close', message: Buffer.of(255, 0) });
  t.match(readClientMessage(Buffer.from('\x04{"Width":0,"Height":40}')), { name: 'ChannelProtocolError', code: 400, message: /Width must be an integer from 1 to 65535, got 0/ });
  t.match(readClientMessage(Buffer.of(255, 1)), { message: /close message must be \[255, 0\]/ });
  t.match(readClientMessage(Buffer.of(7, 1)), { message: 'channel 7 is not writable by the client' });
  t.match(readClientMessage(Buffer.of(7, 1), 'the gateway'), { message: 'channel 7 is not writable by the gateway' });
  t.match(readClientMessage(Buffer.alloc(0)), { message: /empty message/ });
});

t.test("a client frame is read by its protocol's framing and its rules for what a client may send", async (t) => {
  const binary = Buffer.from('\x00hi');
  t.equal(readClientFrame('v5.channel.k8s.io', binary, true), binary, 'binary: the frame as it is');
  t.same(readClientFrame('base64.channel.k8s.io', Buffer.from('0aGk='), false), binary, 'base64: decoded');
  t.match(readClientFrame('v4.base64.channel.k8s.io', binary, true), { message: 'binary message on a base64 protocol' });
  t.match(readClientFrame('base64.channel.k8s.io', Buffer.from('0a*Gk'), false), { message: /not valid base64/ });
  t.match(readClientFrame('channel.k8s.io', Buffer.from('\x04{"Width":1,"Height":1}'), true), { message: /channel 4 is not writable by the client over channel.k8s.io/ });
  t.match(readClientFrame('v4.channel.k8s.io', Buffer.of(255, 0), true), { message: /channel 255 is not writable/ }, 'v4 has no close channel');
  t.match(readClientFrame('v5.channel.k8s.io', Buffer.of(255), true), { message: /close message must be \[255, channel\]/ });
  t.ok(readClientFrame('v5.channel.k8s.io', Buffer.alloc(0), true) instanceof ChannelProtocolError);
});

t.test("a console's end becomes the link's Close, the user's Status, and the same Close again", async (t) => {
  const ends = [{ exitCode: 0 }, { exitCode: 3 }, {}, { message: 'serial device gone' }];
  const closes = ends.map(closeFromConsoleEnd);
  t.same(closes, [
    CONSOLE_SUCCESS,
    { code: 500, reason: 'NonZeroExitCode', message: 'console process exited with code 3', exitCode: 3 },
    { code: 503, reason: 'ServiceUnavailable', message: 'console closed' },
    { code: 503, reason: 'ServiceUnavailable', message: 'serial device gone' },
  ]);
  const statuses = closes.map(statusFromClose);
  t.same(statuses[0], successStatus());
  t.same(statuses[1], exitCodeStatus(3), 'as the kubelet writes a non-zero exit');
  t.match(statuses[2], { status: 'Failure', code: 503, reason: 'ServiceUnavailable', message: 'console closed' });
  // A per-session upstream reads the provider's Status back into the Close it stands for.
  const again = statuses.map(closeFromStatus);
  t.match(again[0], { code: 200, exitCode: 0 });
  t.match(again[1], { code: 500, reason: 'NonZeroExitCode', exitCode: 3 });
  t.match(again[2], { code: 503, reason: 'ServiceUnavailable', message: 'console closed' });
  t.same(again.map(statusFromClose), statuses, 'and that Close is the same Status for the user');
  t.same(statusFromClose(closeFromStatus(failureStatus(409, 'console is exclusive and taken'))), failureStatus(409, 'console is exclusive and taken'));
});
