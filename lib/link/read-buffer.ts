// A link socket that reads into one buffer it reuses (net's `onread`, which node:tls honours
// too), so a gateway that forwards what it reads and keeps nothing allocates nothing per read.
// Every fresh read buffer is external memory to V8, and external memory starts full (mark-
// compact) collections: a gateway that makes little other garbage ran one every 64 MB carried.
// What a read delivers is lent: valid until the current task's microtasks have run (node drains
// them after each read callback, before the next read can reuse the buffer).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** One socket read's worth: node:tls delivers at most 16 KiB at a time, TCP up to this. */
export const READ_BUFFER_BYTES = 64 * 1024;

export class ReadBuffer {
  private receiver: (view: Buffer) => void = () => {};
  /** Pass as the socket's `onread` option. */
  readonly onread = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (length: number, buffer: Uint8Array): boolean => {
      this.receiver((buffer as Buffer).subarray(0, length));
      return true; // keep reading: a link's backpressure is its credit, not the socket
    },
  };

  /** Every read goes to `receiver` from now on. */
  deliverTo(receiver: (view: Buffer) => void): void {
    this.receiver = receiver;
  }
}

/**
 * What node:http's client reads the handshake's answer from when the socket reads into a
 * ReadBuffer: a stream fed with copies of the socket's reads, whose writes go to the socket.
 * After the upgrade, release() hands the socket back to its owner, undisturbed.
 */
export class HandshakeStream extends Duplex {
  private released = false;

  constructor(
    private readonly socket: Socket,
    reads: ReadBuffer,
  ) {
    super();
    reads.deliverTo((view) => this.push(Buffer.from(view)));
    socket.on('end', this.socketEnded);
    socket.on('error', this.socketFailed);
    socket.on('close', this.socketClosed);
  }

  /** Stops mirroring the socket: its reads and events are the caller's from here on. */
  release(): Socket {
    this.released = true;
    this.socket.off('end', this.socketEnded);
    this.socket.off('error', this.socketFailed);
    this.socket.off('close', this.socketClosed);
    return this.socket;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.released) this.socket.destroy(error ?? undefined);
    callback(error);
  }

  private readonly socketEnded = (): void => {
    this.push(null);
  };

  private readonly socketFailed = (error: Error): void => {
    this.destroy(error);
  };

  private readonly socketClosed = (): void => {
    this.destroy();
  };
}
