// announceOffset=true: the gateway tells a client, in-band and before any output, the console
// output offset of its first stdout byte; replayFrom with that offset plus what the client
// has seen resumes the console with no byte twice. Both upstream kinds, since the offset
// comes from the link's Opened in one and the provider's 101 header in the other.
import t, { type Test } from 'tap';
import { ALICE, SessionReader, connect, refusal, startStack, type Stack } from '../fixtures/stack.js';

function record(stack: Stack, query: string): SessionReader {
  return new SessionReader(connect(stack, 'default', 'm1', { token: ALICE, query }));
}

async function resumesWithoutRepeats(t: Test, stack: Stack): Promise<void> {
  const writer = record(stack, 'stdin=true&tty=true&announceOffset=true');
  await writer.opened();
  writer.send(0, 'echo mark-$((3*3))\n');
  await writer.waitFor('mark-9');
  t.equal(writer.channels[0], 5, 'the offset comes first');
  t.equal(writer.channels.filter((c) => c === 5).length, 1, 'and once');
  t.ok(Number.isSafeInteger(writer.outputOffset) && writer.outputOffset! >= 0, `offset ${writer.outputOffset}`);

  // A client that saw everything up to here comes back (as through another replica).
  const position = writer.outputOffset! + writer.rawStdout.length;
  const resumed = record(stack, `stdin=false&tty=true&announceOffset=true&replayFrom=${position}`);
  await resumed.opened();
  writer.send(0, 'echo next-$((2*2))\n');
  await resumed.waitFor('next-4');
  await writer.waitFor('next-4');
  t.equal(resumed.outputOffset, position, 'it starts where the client left off');
  t.notOk(resumed.rawStdout.includes('mark-9'), 'nothing from before the position again');
  const after = writer.rawStdout.slice(position - writer.outputOffset!);
  const common = Math.min(after.length, resumed.rawStdout.length);
  t.equal(resumed.rawStdout.slice(0, common), after.slice(0, common), 'byte for byte what the writer saw from there');

  const plain = record(stack, 'stdin=false&tty=true');
  await plain.opened();
  writer.send(0, 'echo last-$((1+4))\n');
  await plain.waitFor('last-5');
  t.notOk(plain.channels.includes(5), 'a client that did not ask gets no announcement');
  for (const r of [writer, resumed, plain]) r.ws.close();
}

for (const upstream of ['link', 'websocket'] as const) {
  t.test(`${upstream} upstream: the announced offset resumes a console with no byte twice`, async (t) => {
    const stack = await startStack({ sharing: 'shared', gateway: { upstream } });
    t.teardown(() => stack.close());
    await resumesWithoutRepeats(t, stack);
  });
}

t.test('a base64 protocol announces the offset as a text message on channel 5', async (t) => {
  const stack = await startStack();
  t.teardown(() => stack.close());
  const ws = connect(stack, 'default', 'm1', { token: ALICE, query: 'stdin=true&tty=true&announceOffset=true', protocols: ['v4.base64.channel.k8s.io'] });
  const first = await new Promise<string>((resolve, reject) => {
    ws.once('message', (data: Buffer) => resolve(data.toString('latin1')));
    ws.once('error', reject);
  });
  t.match(first, /^5[A-Za-z0-9+/]+=*$/);
  t.match(Buffer.from(first.slice(1), 'base64').toString('latin1'), /^\d+$/);
  ws.close();
});

t.test('announceOffset must be a boolean', async (t) => {
  const stack = await startStack();
  t.teardown(() => stack.close());
  const { code, status } = await refusal(connect(stack, 'default', 'm1', { token: ALICE, query: 'announceOffset=yes' }));
  t.equal(code, 400);
  t.match(status.message, /query parameter announceOffset must be true, false, 1 or 0/);
});
