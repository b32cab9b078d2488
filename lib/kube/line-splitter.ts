// Splits a text stream into lines. A watch stream's events arrive cut across chunks and
// several to a chunk; only whole lines are handed on.
export class LineSplitter {
  private pending = '';

  /** The complete, non-blank lines that `text` finishes. */
  push(text: string): string[] {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop()!;
    return lines.filter((line) => line.trim() !== '');
  }

  /** What is left when the stream ends without a final newline. */
  end(): string | undefined {
    const rest = this.pending.trim();
    this.pending = '';
    return rest === '' ? undefined : rest;
  }
}
