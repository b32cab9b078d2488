// A temp dir for one test, short enough for unix socket paths (.tap's fixture dirs are not),
// removed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export async function tempDir(test: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'console-'));
  test.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
