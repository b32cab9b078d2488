// The built console page (index.html and content-hashed assets/), read once into memory with
// each file's ETag and Content-Type, so serving it never touches the disk.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PageFile {
  body: Buffer;
  /** A strong validator: the content's hash. */
  etag: string;
  contentType: string;
}

export interface PageBundle {
  index: PageFile;
  /** By file name; every name carries its content hash. */
  assets: Map<string, PageFile>;
}

/** Where lib/web/build.mjs writes: dist/web, beside this module's dist/lib/web. */
export const DEFAULT_BUNDLE_DIRECTORY = fileURLToPath(new URL('../../web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The bundle in `directory`, or undefined when it has not been built. */
export function loadPageBundle(directory: string): PageBundle | undefined {
  const indexPath = join(directory, 'index.html');
  if (!existsSync(indexPath)) return undefined;
  const assets = new Map<string, PageFile>();
  for (const name of readdirSync(join(directory, 'assets'))) assets.set(name, readPageFile(join(directory, 'assets', name)));
  return { index: readPageFile(indexPath), assets };
}

function readPageFile(path: string): PageFile {
  const body = readFileSync(path);
  return {
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
  };
}
