// The audit file: appended line by line, rotated by size to PATH.1..PATH.N, N kept.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog } from '../../lib/gateway/audit-log.js';

t.test('rotates before a line would pass the size, keeping maxBackups files, no line split or lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.log');
  const log = openAuditLog({ path, maxBytes: 100, maxBackups: 2 });
  const lines = Array.from({ length: 12 }, (_, i) => `${JSON.stringify({ n: i, pad: 'x'.repeat(20) })}\n`); // 40 bytes each
  for (const line of lines) log.write(line);
  log.close();
  const read = (file: string) => readFileSync(file, 'utf8');
  t.equal(read(path), lines.slice(10).join(''), 'the newest lines are in PATH');
  t.equal(read(`${path}.1`), lines.slice(8, 10).join(''), 'the lines before in PATH.1');
  t.equal(read(`${path}.2`), lines.slice(6, 8).join(''), 'and before them PATH.2');
  t.notOk(existsSync(`${path}.3`), 'only maxBackups rotated files are kept');
});

t.test('reopening appends to the existing file and counts its size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.log');
  const first = openAuditLog({ path, maxBytes: 100 });
  first.write('a'.repeat(59) + '\n');
  first.close();
  const second = openAuditLog({ path, maxBytes: 100 });
  second.write('b'.repeat(59) + '\n');
  second.close();
  t.equal(readFileSync(`${path}.1`, 'utf8'), 'a'.repeat(59) + '\n');
  t.equal(readFileSync(path, 'utf8'), 'b'.repeat(59) + '\n');
});

t.test('a write that fails loses the event, not the session: reported once, and once when it works again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'audit.log');
  const trouble: (string | undefined)[] = [];
  // Rotation into a folder that is in the way fails; the next rotation, with it gone, works.
  mkdirSync(`${path}.1`);
  writeFileSync(join(`${path}.1`, 'keep'), '');
  const log = openAuditLog({ path, maxBytes: 10, maxBackups: 1 }, (error) => void trouble.push(error?.message));
  log.write('0123456789\n');
  t.doesNotThrow(() => log.write('second\n'), 'the failed rotation does not throw');
  t.doesNotThrow(() => log.write('third\n'));
  t.equal(trouble.length, 1, 'reported once');
  t.match(trouble[0], /audit\.log/);
  rmSync(`${path}.1`, { recursive: true });
  log.write('fourth\n');
  t.same(trouble.slice(1), [undefined], 'and once when writes work again');
  log.close();
  t.equal(readFileSync(path, 'utf8'), 'fourth\n');
});
