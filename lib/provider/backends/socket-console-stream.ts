// A serial console reached over a socket (QEMU/libvirt chardev, ser2net) as a ConsoleStream.
// The socket's own flow control is the stream's: write() returns socket.write()'s verdict and
// drain is the socket's, pause()/resume() stop and start reading it. Bytes pass untouched.
import type { Socket } from 'node:net';
import type { ConsoleEnd, ConsoleStream } from '../backend.js';
import { ConsoleOutcome } from './console-outcome.js';

export class SocketConsoleStream implements ConsoleStream {
  readonly #socket: Socket;
  readonly #outcome = new ConsoleOutcome();

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('end', () => this.#outcome.end({ message: 'the console closed the connection' }));
    socket.on('error', (error) => this.#outcome.fail(error));
  }

  write(chunk: Uint8Array): boolean {
    // After the console went away the outcome has been reported; a late write is dropped and
    // must not make the caller wait for a drain that will never come.
    if (!this.#socket.writable) return true;
    return this.#socket.write(chunk);
  }

  /**
   * Does nothing, on purpose: a serial line has no end-of-input. Half-closing the socket would
   * make QEMU close its chardev connection (and with it the console), so stdin EOF from one
   * user must not reach the device; the session ends with close().
   */
  end(): void {}

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  // The socket starts reading only once this listener exists (unless pause() came first), so
  // output that arrives before the consumer subscribes waits in the socket instead of being lost.
  onData(handler: (chunk: Buffer) => void): void {
    this.#socket.on('data', handler);
  }

  onDrain(handler: () => void): void {
    this.#socket.on('drain', handler);
  }

  onEnd(handler: (end: ConsoleEnd) => void): void {
    this.#outcome.onEnd(handler);
  }

  onError(handler: (error: Error) => void): void {
    this.#outcome.onError(handler);
  }

  close(): void {
    this.#outcome.detach();
    this.#socket.destroy();
  }
}
