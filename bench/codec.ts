// Link codec throughput: our data fast path against protobufjs's generic encode/decode of the
// same Frame, for a keystroke (16 B), a terminal line burst (1 KiB) and a bulk dump (64 KiB).
// Both are measured in the same process and run, interleaved, and printed as ratios.
import protobuf from 'protobufjs/minimal.js';
import { FrameDecoder, encodeData, schema } from '../lib/protocol/index.js';

const SIZES = [16, 1024, 65536];
const FRAMES_PER_BATCH = 64;

interface Row {
  size: number;
  encodeFast: number;
  encodeGeneric: number;
  decodeFast: number;
  decodeGeneric: number;
}

/** Frames per second of `run`, which handles one batch; best of `rounds` timed rounds. */
function rate(run: () => void, budgetMs: number, rounds = 5): number {
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let batches = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round((budgetMs / rounds) * 1e6));
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 16; i++) run();
      batches += 16;
      now = process.hrtime.bigint();
    }
    best = Math.max(best, (batches * FRAMES_PER_BATCH) / (Number(now - start) / 1e9));
  }
  return best;
}

function measure(size: number, budgetMs: number): Row {
  const payload = Buffer.alloc(size, 0x61);
  payload[0] = 1;
  let sink = 0;

  const encodeFast = () => {
    for (let i = 0; i < FRAMES_PER_BATCH; i++) sink += encodeData(i + 1, payload)[0].length;
  };
  const encodeGeneric = () => {
    for (let i = 0; i < FRAMES_PER_BATCH; i++) {
      sink += schema.Frame.encode({ stream: i + 1, data: payload }, protobuf.Writer.create().fork()).ldelim().finish().length;
    }
  };

  // One socket chunk holding a batch of frames, as a busy link delivers them.
  const wire = Buffer.concat(Array.from({ length: FRAMES_PER_BATCH }, (_, i) => Buffer.concat(encodeData(i + 1, payload))));
  const decoder = new FrameDecoder({ onFrame: (f) => (sink += f.stream), onError: (e) => { throw e; } });
  const decodeFast = () => decoder.push(wire);
  const decodeGeneric = () => {
    const reader = protobuf.Reader.create(wire);
    while (reader.pos < reader.len) sink += schema.Frame.decode(reader, reader.uint32()).stream;
  };

  const row = {
    size,
    encodeFast: rate(encodeFast, budgetMs),
    encodeGeneric: rate(encodeGeneric, budgetMs),
    decodeFast: rate(decodeFast, budgetMs),
    decodeGeneric: rate(decodeGeneric, budgetMs),
  };
  if (sink === -1) console.log('unreachable');
  return row;
}

function format(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(0)} k/s`;
}

export function runCodecBench(budgetMs = 1500): Row[] {
  const rows = SIZES.map((size) => measure(size, budgetMs));
  console.log('link codec: data frames per second (best of 5 rounds), fast path vs protobufjs');
  console.log('| payload | encode fast | encode protobufjs | ratio | decode fast | decode protobufjs | ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.size >= 1024 ? `${r.size / 1024} KiB` : `${r.size} B`} | ${format(r.encodeFast)} | ${format(r.encodeGeneric)} | ` +
        `${(r.encodeFast / r.encodeGeneric).toFixed(1)}x | ${format(r.decodeFast)} | ${format(r.decodeGeneric)} | ` +
        `${(r.decodeFast / r.decodeGeneric).toFixed(1)}x |`,
    );
  }
  return rows;
}
