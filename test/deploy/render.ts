// Renders a kustomization the way an operator would (`kubectl kustomize DIR`) and parses the
// result, so the tests check exactly what would be applied.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const execFileAsync = promisify(execFile);

/** $KUBECTL picks another binary (or, pointed at nothing, shows the skip). */
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

/** The repository's deploy/ folder; tests run compiled, from dist/test/deploy. */
export const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url));

/** Why kustomizations cannot be rendered here, or undefined when they can. */
export function renderUnavailable(): string | undefined {
  return existsSync(KUBECTL) ? undefined : `${KUBECTL} is not installed: cannot run \`kubectl kustomize\``;
}

/** A Kubernetes object as parsed YAML: only the fields the checks read are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export class Rendered {
  constructor(readonly objects: KubeObject[]) {}

  /** The one object of `kind` named `name` (any name when omitted); throws when absent. */
  get<T = KubeObject>(kind: string, name?: string): T {
    const found = this.all(kind).filter((object) => name === undefined || object.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
    return found[0] as T;
  }

  all(kind: string): KubeObject[] {
    return this.objects.filter((object) => object.kind === kind);
  }
}

/** `kubectl kustomize deploy/<dir>`, parsed. A YAML error in the output fails loudly. */
export async function render(dir: string): Promise<Rendered> {
  const { stdout } = await execFileAsync(KUBECTL, ['kustomize', DEPLOY_DIR + dir], { maxBuffer: 16 << 20 });
  const objects = parseAllDocuments(stdout).map((document) => {
    if (document.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${document.errors[0]!.message}`);
    return document.toJS() as KubeObject;
  });
  return new Rendered(objects.filter(Boolean));
}
