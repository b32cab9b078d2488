// The resize channel's JSON, {"Width":W,"Height":H}. Go's encoding/json, which the kubelet
// uses, matches keys case-insensitively, so we do too; values must be integers 1..65535.
import { ChannelProtocolError } from './channel.js';

export interface TerminalSize {
  cols: number;
  rows: number;
}

export function parseResize(payload: Uint8Array): TerminalSize | ChannelProtocolError {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8'));
  } catch {
    return new ChannelProtocolError('resize message is not valid JSON; expected {"Width":W,"Height":H}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new ChannelProtocolError('resize message must be a JSON object {"Width":W,"Height":H}');
  }
  const cols = dimension(value as Record<string, unknown>, 'width');
  if (cols instanceof ChannelProtocolError) return cols;
  const rows = dimension(value as Record<string, unknown>, 'height');
  if (rows instanceof ChannelProtocolError) return rows;
  return { cols, rows };
}

function dimension(object: Record<string, unknown>, key: string): number | ChannelProtocolError {
  const found = Object.keys(object).find((k) => k.toLowerCase() === key);
  const value = found === undefined ? undefined : object[found];
  const name = key === 'width' ? 'Width' : 'Height';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    return new ChannelProtocolError(`resize ${name} must be an integer from 1 to 65535, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

export function encodeResize(size: TerminalSize): string {
  return JSON.stringify({ Width: size.cols, Height: size.rows });
}

/** The longest resize object accepted on a SPDY resize stream. */
const MAX_RESIZE_LINE = 1024;

/**
 * The SPDY resize stream: a sequence of JSON objects, each on its own line (client-go writes
 * them with json.Encoder). Yields each object's bytes once it is whole and valid.
 */
export class ResizeStreamReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<Buffer | ChannelProtocolError> {
    const out: Array<Buffer | ChannelProtocolError> = [];
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let newline = data.indexOf(0x0a); newline !== -1; newline = data.indexOf(0x0a)) {
      const line = data.subarray(0, newline);
      data = data.subarray(newline + 1);
      if (line.toString('latin1').trim() === '') continue;
      const size = parseResize(line);
      out.push(size instanceof ChannelProtocolError ? size : line);
    }
    if (data.length > MAX_RESIZE_LINE) {
      out.push(new ChannelProtocolError(`resize message longer than ${MAX_RESIZE_LINE} bytes`));
      data = Buffer.alloc(0);
    }
    this.pending = Buffer.from(data);
    return out;
  }
}
