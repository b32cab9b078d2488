// The stream table of one link, the same at both ends: which frames go to which stream, the
// stream id rules, the answer to a frame for a stream that is not open, the end of every
// stream when the link is lost, and the turn each stream gets when the link's socket drains. The gateway opens streams, the provider accepts them.
import type { Frame, OpenMessage } from '../protocol/index.js';
import type { LinkConnection } from './connection.js';

/** What the multiplexer needs of a stream, at either end. */
export interface MultiplexedStream {
  /** A frame for this stream (never one of stream 0, never the Open that created it). */
  receive(frame: Frame): void;
  /** The link is gone under the stream: end it without sending anything. */
  linkLost(error: Error | undefined): void;
  /** The link's socket drained: send what waited for it (CreditedStream.linkDrained). */
  linkDrained(): void;
}

export interface StreamMultiplexerOptions<S extends MultiplexedStream> {
  /**
   * The accepting end: for a valid Open, makes the stream and registers it (before it starts,
   * so that a stream which ends at once is forgotten), or returns why the Open is refused
   * (answered with Close 400). Without it this end opens the streams, and an Open for a
   * stream that is not open is refused as any frame is.
   */
  accept?: (id: number, open: OpenMessage, register: (stream: S) => void) => string | undefined;
  /** Called once when the link is gone, before its streams are told. */
  onGone?: (error: Error | undefined, streams: number) => void;
}

/** The last stream id a link can carry; a link that used it up takes no new streams. */
const MAX_STREAM_ID = 0xffffffff;

export class StreamMultiplexer<S extends MultiplexedStream> {
  private readonly table = new Map<number, S>();
  /** The opener's next id, or the acceptor's last one. */
  private lastId = 0;
  /** Which stream goes first at the next drain: in turn, so no stream starves the others. */
  private drainTurn = 0;

  constructor(
    readonly link: LinkConnection,
    private readonly options: StreamMultiplexerOptions<S> = {},
  ) {
    link.onFrame((frame) => this.route(frame));
    link.onClose((error) => {
      this.options.onGone?.(error, this.table.size);
      for (const stream of [...this.table.values()]) stream.linkLost(error);
      this.table.clear();
    });
    link.onDrain(() => this.drained());
  }

  /** Streams open now. */
  get size(): number {
    return this.table.size;
  }

  /** Whether open() can start another stream: the link is up and has ids left. */
  get canOpen(): boolean {
    return this.link.isOpen && this.lastId + 2 <= MAX_STREAM_ID;
  }

  /** The opening end: the next id (odd, increasing, never reused) and its stream, registered. */
  open(create: (id: number) => S): S {
    if (!this.canOpen) throw new Error('the link can open no more streams');
    const id = this.lastId + (this.lastId === 0 ? 1 : 2);
    this.lastId = id;
    const stream = create(id);
    this.table.set(id, stream);
    return stream;
  }

  /** The stream is over (whoever ended it): its frames are now those of a stream that is not open. */
  forget(id: number): void {
    this.table.delete(id);
  }

  /** The streams open now, to end them all (a provider shutting down). */
  streams(): S[] {
    return [...this.table.values()];
  }

  /** Answers a frame for stream `id` with Close 400 and `message`: the link stays up. */
  refuse(id: number, message: string): void {
    this.link.send({ stream: id, kind: 'close', close: { code: 400, reason: 'BadRequest', message } });
  }

  private drained(): void {
    const streams = [...this.table.values()];
    const first = this.drainTurn++ % Math.max(1, streams.length);
    for (let i = 0; i < streams.length && !this.link.writableNeedDrain; i++) {
      streams[(first + i) % streams.length]!.linkDrained();
    }
  }

  private route(frame: Frame): void {
    if (frame.kind === 'open' && this.options.accept) return this.accepted(frame.stream, frame.open);
    const stream = this.table.get(frame.stream);
    if (stream) return stream.receive(frame);
    // Either side's Close ends a stream and is never answered, so neither is a late one.
    if (frame.kind !== 'close') this.refuse(frame.stream, `stream ${frame.stream} is not open`);
  }

  private accepted(id: number, open: OpenMessage): void {
    if (id % 2 === 0 || id <= this.lastId) {
      return this.refuse(id, `stream ${id} cannot be opened: the gateway opens odd stream ids, increasing, never reused (last was ${this.lastId})`);
    }
    this.lastId = id;
    const refusal = this.options.accept!(id, open, (stream) => this.table.set(id, stream));
    if (refusal !== undefined) this.refuse(id, refusal);
  }
}
