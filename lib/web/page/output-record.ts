/// <reference lib="dom" />
// What this page has shown of the console, for "Download output": the bytes as they came (the
// replay, live output and notices), the oldest dropped past a bound so a long session cannot
// exhaust the tab's memory.

const MAX_BYTES = 16 * 1024 * 1024;

export class OutputRecord {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  get empty(): boolean {
    return this.bytes === 0;
  }

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice()); // the socket's buffer is not ours to keep
    this.bytes += chunk.length;
    while (this.bytes > MAX_BYTES && this.chunks.length > 1) this.bytes -= this.chunks.shift()!.length;
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }

  /** Saves the record as `fileName` through the browser's download. */
  download(fileName: string): void {
    const url = URL.createObjectURL(new Blob(this.chunks as BlobPart[], { type: 'application/octet-stream' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
