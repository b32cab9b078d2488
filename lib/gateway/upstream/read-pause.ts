// Flow control for the per-session upstreams, which ride on TCP: once the client has fallen
// behind by a window of output, stop reading the provider's socket; read again at half.
export class ReadPause {
  private unconsumed = 0;
  private paused = false;

  constructor(
    private readonly window: number,
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  /** `bytes` of output were read from the provider. */
  received(bytes: number): void {
    this.unconsumed += bytes;
    if (!this.paused && this.unconsumed > this.window) {
      this.paused = true;
      this.pause();
    }
  }

  /** The client has taken `bytes` of it. */
  consumed(bytes: number): void {
    this.unconsumed -= bytes;
    if (this.paused && this.unconsumed <= this.window / 2) {
      this.paused = false;
      this.resume();
    }
  }
}
