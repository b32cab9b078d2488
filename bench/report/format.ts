// Numbers as the bench's tables print them, and the tables themselves (GitHub markdown, so
// the README can take them as they are).

const DASH = '—';

/** Bytes per second as MB/s (10^6). */
export function mbPerSecond(bytesPerSecond: number): string {
  return Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? (bytesPerSecond / 1e6).toFixed(bytesPerSecond < 1e7 ? 2 : 1) : DASH;
}

/** Milliseconds with three significant digits (0.0812, 1.23, 45.6). */
export function millis(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  return ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3);
}

/** A plain number with `digits` decimals, or a dash when there is none. */
export function decimal(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? DASH : value.toFixed(digits);
}

/** a / b as "1.52×", or a dash when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return DASH;
  return `${(a / b).toFixed(2)}×`;
}

export function bytesLabel(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function markdownTable(headers: string[], rows: string[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}
