// A session recording in asciinema's asciicast v2 format: a JSON header line, then one JSON
// array per event: [seconds, "o", text] for output and [seconds, "r", "WxH"] for a resize.
// Output is decoded as a stream, so a UTF-8 character split across reads stays whole.
import { StringDecoder } from 'node:string_decoder';
import type { TerminalSize } from '../protocol/index.js';
import { OutputFile } from './output-file.js';

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp: number;
  title?: string;
  env: Record<string, string>;
}

export class AsciicastRecorder {
  private readonly file: OutputFile;
  private readonly decoder = new StringDecoder('utf8');
  private readonly start = performance.now();

  constructor(path: string, size: TerminalSize, title: string, env: NodeJS.ProcessEnv = process.env) {
    this.file = new OutputFile(path, 'w', '--record file');
    const header: AsciicastHeader = {
      version: 2,
      width: size.cols,
      height: size.rows,
      timestamp: Math.floor(Date.now() / 1000),
      title,
      env: Object.fromEntries(['SHELL', 'TERM'].flatMap((name) => (env[name] ? [[name, env[name]]] : []))),
    };
    this.file.write(`${JSON.stringify(header)}\n`);
  }

  output(data: Uint8Array): void {
    this.event('o', this.decoder.write(Buffer.from(data.buffer, data.byteOffset, data.length)));
  }

  resize(size: TerminalSize): void {
    this.event('r', `${size.cols}x${size.rows}`);
  }

  close(): void {
    this.event('o', this.decoder.end());
    this.file.close();
  }

  private event(type: 'o' | 'r', data: string): void {
    if (data === '') return;
    const seconds = Math.round(performance.now() - this.start) / 1000;
    this.file.write(`${JSON.stringify([seconds, type, data])}\n`);
  }
}
