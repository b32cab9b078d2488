// docs/ is generated from the TSDoc comments (`make docs`): regenerate it into a temporary folder
// and compare page by page, so a changed comment or signature without `make docs` fails here.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TYPEDOC = join(ROOT, 'node_modules/typedoc/bin/typedoc');

async function pages(dir: string): Promise<Map<string, string>> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  const entries = await Promise.all(files.map(async (entry) => {
    const path = join(entry.parentPath, entry.name);
    return [path.slice(dir.length + 1), await readFile(path, 'utf8')] as const;
  }));
  return new Map(entries.sort(([a], [b]) => a.localeCompare(b)));
}

t.test('docs/ is what `make docs` generates from the sources', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'ironcore-console-docs-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  await promisify(execFile)(process.execPath, [TYPEDOC, '--out', out], { cwd: ROOT, timeout: 120_000 });
  const fresh = await pages(out);
  const committed = await pages(join(ROOT, 'docs'));
  t.same([...committed.keys()], [...fresh.keys()], 'the same pages (run `make docs` and commit docs/)');
  for (const [page, text] of fresh) t.equal(committed.get(page), text, `docs/${page} is current (run \`make docs\` and commit docs/)`);
  t.ok(fresh.has('gateway.md') && fresh.has('provider.md') && fresh.has('client.md') && fresh.has('kube.md') && fresh.has('protocol.md'), 'a page per entry point');
});
