// announceOffset=true: the gateway tells a client, in-band and before any output, the console
// output offset of its first stdout byte; replayFrom with that offset plus what the client
// has seen resumes the console with no byte twice. Both upstream kinds, since the offset
// comes from the link's Opened in one and the provider's 101 header in the other.
import t, { type Test } from 'tap';
import type WebSocket from 'ws';
import { ALICE, connect, refusal, startStack, type Stack } from '../fixtures/stack.js';

/** Every message of a binary-protocol session, and its stdout as latin1 (one char per byte). */
class Recorder {
  readonly channels: number[] = [];
  offset: number | undefined;
  stdout = '';
  readonly opened: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (data: Buffer) => {
      this.channels.push(data[0]!);
      if (data[0] === 5) this.offset = Number(data.toString('latin1', 1));
      if (data[0] === 1) this.stdout += data.toString('latin1', 1);
      for (const waiter of this.waiters) waiter();
    });
  }

  waitFor(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${text}; stdout: ${JSON.stringify(this.stdout.slice(-200))}`)), 10_000);
      const check = (): void => {
        if (!this.stdout.includes(text)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }
}

function record(stack: Stack, query: string, protocols?: string[]): Recorder {
  return new Recorder(connect(stack, 'default', 'm1', { token: ALICE, query, ...(protocols && { protocols }) }));
}

async function resumesWithoutRepeats(t: Test, stack: Stack): Promise<void> {
  const writer = record(stack, 'stdin=true&tty=true&announceOffset=true');
  await writer.opened;
  writer.ws.send(Buffer.from('\x00echo mark-$((3*3))\n'));
  await writer.waitFor('mark-9');
  t.equal(writer.channels[0], 5, 'the offset comes first');
  t.equal(writer.channels.filter((c) => c === 5).length, 1, 'and once');
  t.ok(Number.isSafeInteger(writer.offset) && writer.offset! >= 0, `offset ${writer.offset}`);

  // A client that saw everything up to here comes back (as through another replica).
  const position = writer.offset! + writer.stdout.length;
  const resumed = record(stack, `stdin=false&tty=true&announceOffset=true&replayFrom=${position}`);
  await resumed.opened;
  writer.ws.send(Buffer.from('\x00echo next-$((2*2))\n'));
  await resumed.waitFor('next-4');
  await writer.waitFor('next-4');
  t.equal(resumed.offset, position, 'it starts where the client left off');
  t.notOk(resumed.stdout.includes('mark-9'), 'nothing from before the position again');
  const after = writer.stdout.slice(position - writer.offset!);
  const common = Math.min(after.length, resumed.stdout.length);
  t.equal(resumed.stdout.slice(0, common), after.slice(0, common), 'byte for byte what the writer saw from there');

  const plain = record(stack, 'stdin=false&tty=true');
  await plain.opened;
  writer.ws.send(Buffer.from('\x00echo last-$((1+4))\n'));
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
