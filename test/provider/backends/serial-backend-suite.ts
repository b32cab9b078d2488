// The behaviour every serial-over-socket backend shares, run against a real peer socket: the
// unix and TCP backend tests each call serialBackendSuite with what differs between them.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import t, { type Test } from 'tap';
import { UnavailableError, type ConsoleBackend, type ConsoleStream, type OpenRequest } from '../../../lib/provider/backend.js';
import { openFdCount } from './open-fds.js';
import { SerialPeer, type Endpoint } from './serial-peer.js';
import { StalledListener } from './stalled-listener.js';
import { tempDir } from './temp-dir.js';

export const REQUEST: OpenRequest = { namespace: 'ns', machine: 'vm', tty: true };

export interface SerialTransport {
  /** Where machine ns/vm's console listens, below `dir` (a TCP port 0 picks a free port). */
  endpoint(dir: string): Endpoint;
  /** A backend that finds machine ns/vm's console at `bound`, the endpoint as it was bound. */
  backend(dir: string, bound: Endpoint, connectTimeoutMs?: number): ConsoleBackend;
  /** Makes machine ns/vm's console location one that refuses connections; returns it. */
  refusing(dir: string): Promise<Endpoint>;
}

/** Random bytes that surely hold the ones a console must never interpret. */
function payload(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from([0x1d, 0x00, 0xff, 0x0d, 0x0a, 0x04, 0x03, 0x1b]).copy(bytes);
  return bytes;
}

function readBytes(source: { onData(handler: (chunk: Buffer) => void): void } | Socket, size: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const take = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= size) resolve(Buffer.concat(chunks));
    };
    if ('onData' in source) source.onData(take);
    else source.on('data', take);
  });
}

/** Writes `data` in chunks, waiting for drain whenever write() says so; resolves with how often it did. */
async function writeHonouringBackpressure(stream: ConsoleStream, data: Buffer, chunkSize: number): Promise<number> {
  let drained: (() => void) | undefined;
  stream.onDrain(() => drained?.());
  let waits = 0;
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    if (!stream.write(data.subarray(offset, offset + chunkSize))) {
      waits++;
      await new Promise<void>((resolve) => (drained = resolve));
    }
  }
  return waits;
}

/** Writes all of `data` to a socket as a well-behaved peer does: the next chunk only after drain. */
async function peerWrite(socket: Socket, data: Buffer, chunkSize: number): Promise<void> {
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    if (!socket.write(data.subarray(offset, offset + chunkSize))) await once(socket, 'drain');
  }
}

/** Reads from a socket one chunk at a time with a pause after each: a slow reader. */
function slowRead(socket: Socket, size: number): Promise<Buffer> {
  const result = readBytes(socket, size);
  socket.on('data', () => {
    socket.pause();
    setTimeout(() => socket.resume(), 1);
  });
  socket.resume();
  return result;
}

// A broken stream tends to hang rather than throw: fail it well before tap's file timeout.
const LIMIT = { timeout: 30_000 };

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function serialBackendSuite(transport: SerialTransport): void {
  async function connected(test: Test) {
    const dir = await tempDir(test);
    const peer = await SerialPeer.listen(transport.endpoint(dir));
    test.teardown(() => peer.close());
    const stream = await transport.backend(dir, peer.endpoint).open(REQUEST);
    test.teardown(() => stream.close());
    return { dir, peer, stream, remote: await peer.accept() };
  }

  t.test('every byte passes untouched both ways', LIMIT, async (t) => {
    const { stream, remote } = await connected(t);
    const toConsole = payload(64 * 1024);
    const fromConsole = payload(64 * 1024);
    const atPeer = readBytes(remote, toConsole.length);
    const atConsumer = readBytes(stream, fromConsole.length);
    stream.write(toConsole);
    remote.write(fromConsole);
    t.ok((await atPeer).equals(toConsole), '64 KiB reached the console byte for byte');
    t.ok((await atConsumer).equals(fromConsole), '64 KiB came from the console byte for byte');
  });

  t.test('a big paste against a console that also writes a lot and reads slowly neither deadlocks nor ignores backpressure', LIMIT, async (t) => {
    const { stream, remote } = await connected(t);
    const size = 8 * 1024 * 1024;
    const toConsole = payload(size);
    const fromConsole = payload(size);
    const atConsumer = readBytes(stream, size);
    // The peer, like a proxy that serialises its work, reads nothing until it has written everything.
    remote.pause();
    const peerDone = peerWrite(remote, fromConsole, 64 * 1024).then(() => slowRead(remote, size));
    const waits = await writeHonouringBackpressure(stream, toConsole, 64 * 1024);
    t.ok(waits > 0, `write() returned false and drain came (${waits} times)`);
    t.ok((await atConsumer).equals(fromConsole), 'all console output arrived intact');
    t.ok((await peerDone).equals(toConsole), 'all input reached the console intact');
  });

  t.test('pause() stops output until resume()', LIMIT, async (t) => {
    const { stream, remote } = await connected(t);
    let delivered = false;
    const received = readBytes(stream, 4).finally(() => (delivered = true));
    stream.pause();
    remote.write('held');
    await tick(100);
    t.notOk(delivered, 'nothing delivered while paused');
    stream.resume();
    t.equal((await received).toString(), 'held');
  });

  t.test('output that arrives before the consumer subscribes is kept', LIMIT, async (t) => {
    const { stream, remote } = await connected(t);
    remote.write('boot messages');
    await tick(50);
    t.equal((await readBytes(stream, 13)).toString(), 'boot messages');
  });

  t.test('end() does not half-close the line: the device stays open for input', LIMIT, async (t) => {
    const { stream, remote } = await connected(t);
    let peerSawEof = false;
    remote.on('end', () => (peerSawEof = true));
    const atPeer = readBytes(remote, 5);
    stream.end();
    stream.write(Buffer.from('after'));
    t.equal((await atPeer).toString(), 'after');
    t.notOk(peerSawEof, 'no EOF reached the console');
  });

  t.test('the console closing ends the stream once, without error', LIMIT, async (t) => {
    const { stream, remote } = await connected(t);
    stream.onData(() => {});
    stream.onError((error) => t.fail(`unexpected error ${error.message}`));
    remote.end('bye');
    const end = await new Promise((resolve) => stream.onEnd(resolve));
    t.match(end, { message: /closed/ });
    t.equal(stream.write(Buffer.from('late')), true, 'a late write is dropped without blocking the caller');
  });

  t.test('close() releases the socket and reports nothing more', LIMIT, async (t) => {
    const dir = await tempDir(t);
    const peer = await SerialPeer.listen(transport.endpoint(dir));
    t.teardown(() => peer.close());
    const before = await openFdCount();
    const stream = await transport.backend(dir, peer.endpoint).open(REQUEST);
    const remote = await peer.accept();
    stream.onData(() => {});
    stream.onEnd(() => t.fail('onEnd after close()'));
    stream.onError(() => t.fail('onError after close()'));
    stream.close();
    stream.close();
    await once(remote, 'close');
    await tick(20);
    t.equal(await openFdCount(), before, 'no file descriptor left open');
  });

  t.test('a console that refuses connections is unavailable', LIMIT, async (t) => {
    const dir = await tempDir(t);
    const bound = await transport.refusing(dir);
    await t.rejects(transport.backend(dir, bound).open(REQUEST), new UnavailableError('console of machine ns/vm is unavailable (ECONNREFUSED)'));
  });

  t.test('a console that never accepts is unavailable', LIMIT, async (t) => {
    const dir = await tempDir(t);
    const listener = await StalledListener.start(transport.endpoint(dir));
    t.teardown(() => listener.close());
    const error = await transport.backend(dir, listener.endpoint, 300).open(REQUEST).catch((error: unknown) => error);
    t.type(error, UnavailableError);
    // TCP waits out the timeout; a unix socket with a full backlog refuses at once.
    t.match(error, { message: /^console of machine ns\/vm (did not answer within 300 ms|is unavailable \(EAGAIN\))$/ });
  });

  t.test('names that could leave the configured location are refused', LIMIT, async (t) => {
    const dir = await tempDir(t);
    const peer = await SerialPeer.listen(transport.endpoint(dir));
    t.teardown(() => peer.close());
    const backend = transport.backend(dir, peer.endpoint);
    await t.rejects(backend.open({ ...REQUEST, namespace: '..' }), /refusing unsafe namespace/);
    await t.rejects(backend.open({ ...REQUEST, machine: 'a/b' }), /refusing unsafe machine name/);
  });
}
