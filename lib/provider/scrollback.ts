// The latest output of a console, kept in a fixed ring so a session that attaches later sees
// the prompt or the last boot messages at once. It also counts the console's output: byte k
// since the console opened has offset k, so a reconnecting session can ask for the output
// from the offset after the last byte it showed, and gets no byte twice.

export class Scrollback {
  private readonly ring: Buffer;
  /** Where the next byte goes. */
  private end = 0;
  private length = 0;
  private total = 0;

  /** `capacity` 0 keeps nothing (but still counts offsets). */
  constructor(readonly capacity: number) {
    this.ring = Buffer.alloc(capacity);
  }

  /** Bytes kept. */
  get size(): number {
    return this.length;
  }

  /** The offset the next byte of output will have: every byte appended so far. */
  get endOffset(): number {
    return this.total;
  }

  /** The offset of the oldest byte kept (endOffset when nothing is kept). */
  get startOffset(): number {
    return this.total - this.length;
  }

  append(chunk: Uint8Array): void {
    this.total += chunk.length;
    const capacity = this.capacity;
    if (capacity === 0 || chunk.length === 0) return;
    const tail = chunk.length > capacity ? chunk.subarray(chunk.length - capacity) : chunk;
    const first = Math.min(tail.length, capacity - this.end);
    this.ring.set(tail.subarray(0, first), this.end);
    this.ring.set(tail.subarray(first), 0);
    this.end = (this.end + tail.length) % capacity;
    this.length = Math.min(capacity, this.length + tail.length);
  }

  /**
   * A copy of what is kept from offset `from` on (clamped to what is kept), oldest byte first;
   * by default everything kept.
   */
  snapshot(from = this.startOffset): Buffer {
    const skip = Math.min(Math.max(from - this.startOffset, 0), this.length);
    const count = this.length - skip;
    const start = (this.end - count + this.capacity) % (this.capacity || 1);
    if (start + count <= this.capacity) return Buffer.from(this.ring.subarray(start, start + count));
    return Buffer.concat([this.ring.subarray(start), this.ring.subarray(0, this.end)], count);
  }
}
