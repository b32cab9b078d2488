// Per-stream credit-based flow control, as HTTP/2 windows. A sender may have at most its
// granted credit of `data` bytes outstanding (the whole data field: channel byte included);
// the receiver returns credit as its consumer drains, in batches so that Credit frames are not
// sent one per message.

/** The largest credit a stream may hold (HTTP/2's limit); a grant past it is a peer error. */
export const MAX_WINDOW = 2 ** 31 - 1;

/** Credit the peer granted us for sending. */
export class SendWindow {
  private credit: number;

  constructor(initial: number) {
    this.credit = initial;
  }

  /** Bytes of `data` that may be sent now. */
  get available(): number {
    return this.credit;
  }

  /** Spends `bytes` of credit; sending more than `available` is a bug in the caller. */
  take(bytes: number): void {
    if (bytes > this.credit) throw new RangeError(`cannot send ${bytes} bytes with ${this.credit} bytes of credit`);
    this.credit -= bytes;
  }

  /** Adds the peer's Credit; returns an error (and keeps the credit) when it would pass MAX_WINDOW. */
  grant(bytes: number): Error | undefined {
    if (this.credit + bytes > MAX_WINDOW) {
      return new Error(`flow control window overflow: ${this.credit} + ${bytes} bytes exceeds ${MAX_WINDOW}`);
    }
    this.credit += bytes;
    return undefined;
  }
}

/** Credit we granted the peer: checks what it sends and says when to grant more. */
export class ReceiveWindow {
  /** Bytes the peer may still send. */
  private outstanding: number;
  /** Bytes consumed whose credit has not been returned yet. */
  private unreturned = 0;
  private readonly batch: number;

  /**
   * `size` is the credit granted up front; credit goes back once `batch` bytes are consumed
   * (a quarter window by default). Never more than half a window is held back, so a sender
   * that waits for credit for a whole frame of up to half the window always gets it.
   */
  constructor(
    readonly size: number,
    batch = Math.ceil(size / 4),
  ) {
    this.outstanding = size;
    this.batch = Math.max(1, Math.min(batch, Math.ceil(size / 2)));
  }

  /** Counts `bytes` just received; false when the peer sent more than it was granted. */
  receive(bytes: number): boolean {
    this.outstanding -= bytes;
    return this.outstanding >= 0;
  }

  /** The consumer is done with `bytes`; returns the credit to grant now, 0 while batching. */
  release(bytes: number): number {
    this.unreturned += bytes;
    if (this.unreturned < this.batch) return 0;
    const grant = this.unreturned;
    this.unreturned = 0;
    this.outstanding += grant;
    return grant;
  }
}
