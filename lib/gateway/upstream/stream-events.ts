// A stream's output and end, held until the session has subscribed: output can arrive in the
// same socket chunk as the provider's answer to the open, before anyone listens for it. Held
// output is copied: it is lent (UpstreamStream.onData).
import type { CloseMessage } from '../../protocol/index.js';

export class StreamEvents {
  private queued: Buffer[] = [];
  private pendingClose: CloseMessage | undefined;
  private dataHandler: ((message: Buffer) => void) | undefined;
  private closeHandler: ((close: CloseMessage) => void) | undefined;

  data(message: Buffer): void {
    if (this.dataHandler) this.dataHandler(message);
    else this.queued.push(Buffer.from(message));
  }

  close(close: CloseMessage): void {
    if (this.closeHandler) this.closeHandler(close);
    else this.pendingClose = close;
  }

  onData(handler: (message: Buffer) => void): void {
    this.dataHandler = handler;
    const queued = this.queued;
    this.queued = [];
    for (const message of queued) handler(message);
  }

  onClose(handler: (close: CloseMessage) => void): void {
    this.closeHandler = handler;
    if (this.pendingClose) handler(this.pendingClose);
  }
}
