// The latest output of a console, kept in a fixed ring so a session that attaches later sees
// the prompt or the last boot messages at once.

export class Scrollback {
  private readonly ring: Buffer;
  /** Where the next byte goes. */
  private end = 0;
  private length = 0;

  /** `capacity` 0 keeps nothing. */
  constructor(readonly capacity: number) {
    this.ring = Buffer.alloc(capacity);
  }

  get size(): number {
    return this.length;
  }

  append(chunk: Uint8Array): void {
    const capacity = this.capacity;
    if (capacity === 0 || chunk.length === 0) return;
    const tail = chunk.length > capacity ? chunk.subarray(chunk.length - capacity) : chunk;
    const first = Math.min(tail.length, capacity - this.end);
    this.ring.set(tail.subarray(0, first), this.end);
    this.ring.set(tail.subarray(first), 0);
    this.end = (this.end + tail.length) % capacity;
    this.length = Math.min(capacity, this.length + tail.length);
  }

  /** A copy of what is kept, oldest byte first. */
  snapshot(): Buffer {
    const start = (this.end - this.length + this.capacity) % (this.capacity || 1);
    if (start + this.length <= this.capacity) return Buffer.from(this.ring.subarray(start, start + this.length));
    return Buffer.concat([this.ring.subarray(start), this.ring.subarray(0, this.end)], this.length);
  }
}
