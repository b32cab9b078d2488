// The local terminal's size, as the console should have it: read from whichever output is a
// terminal, and followed as it changes (the tty stream re-reads its size on SIGWINCH).
import type { WriteStream } from 'node:tty';
import type { TerminalSize } from '../protocol/index.js';

/** The output stream whose size the console takes: stdout, else stderr, when either is a terminal. */
export function sizeSource(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): WriteStream | undefined {
  for (const stream of [stdout, stderr]) if ((stream as WriteStream).isTTY) return stream as WriteStream;
  return undefined;
}

export function sizeOf(stream: WriteStream): TerminalSize | undefined {
  const { columns: cols, rows } = stream;
  return cols > 0 && rows > 0 ? { cols, rows } : undefined;
}

/** Calls `changed` with each new size; returns a function that stops watching. */
export function watchSize(stream: WriteStream, changed: (size: TerminalSize) => void): () => void {
  const onResize = (): void => {
    const size = sizeOf(stream);
    if (size) changed(size);
  };
  stream.on('resize', onResize);
  return () => stream.removeListener('resize', onResize);
}

/**
 * The sizes to send at the start: one row off, then the real size. A console that was left at
 * this size would see no change and not repaint; two changes make full-screen programs redraw.
 */
export function redrawSizes(size: TerminalSize): TerminalSize[] {
  const rows = size.rows > 1 ? size.rows - 1 : size.rows + 1;
  return [{ cols: size.cols, rows }, size];
}
