// What RBAC sees of an API request: kube-apiserver's RequestInfo reduced to the
// (apiGroup, resource[/subresource], verb) triple that ClusterRole rules grant. Written as
// "group resource verb", e.g. "compute.ironcore.dev machinepools watch", so sets of them
// compare and print plainly.

export type Attribute = string;

export function attribute(group: string, resource: string, verb: string): Attribute {
  return `${group} ${resource} ${verb}`;
}

/**
 * The attribute kube-apiserver authorizes for `method url`; a path outside /api and /apis
 * (e.g. /version) is a non-resource URL, which a ClusterRole would have to name as such.
 */
export function requestAttribute(method: string, url: string): Attribute {
  const { pathname, searchParams } = new URL(url, 'http://api');
  const parts = pathname.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, rest] = [parts[1]!, parts.slice(3)];
  else return attribute('(non-resource)', pathname, method.toLowerCase());
  // /namespaces/NS/RESOURCE/... is namespaced; /namespaces and /namespaces/NS are the namespaces resource.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource = '', name, subresource] = rest;
  return attribute(group, subresource ? `${resource}/${subresource}` : resource, verbOf(method, name !== undefined, searchParams));
}

function verbOf(method: string, named: boolean, query: URLSearchParams): string {
  const watch = ['1', 'true'].includes(query.get('watch') ?? '');
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return named ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Every attribute a ClusterRole's rules grant, plus anything a "nothing more" check must refuse. */
export interface Grants {
  attributes: Set<Attribute>;
  /** Wildcards, resourceNames and nonResourceURLs: not expressible as plain attributes. */
  unsupported: string[];
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export function grantsOf(rules: PolicyRule[]): Grants {
  const grants: Grants = { attributes: new Set(), unsupported: [] };
  for (const [index, rule] of rules.entries()) {
    const fields = [rule.apiGroups, rule.resources, rule.verbs].flat();
    if (fields.includes('*')) grants.unsupported.push(`rule ${index} uses a wildcard`);
    if (rule.resourceNames?.length) grants.unsupported.push(`rule ${index} names resources`);
    if (rule.nonResourceURLs?.length) grants.unsupported.push(`rule ${index} grants non-resource URLs`);
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) grants.attributes.add(attribute(group, resource, verb));
      }
    }
  }
  return grants;
}

/** Differences between what rules grant and what is needed, as readable lines; [] when equal. */
export function grantProblems(rules: PolicyRule[], needed: Set<Attribute>): string[] {
  const { attributes, unsupported } = grantsOf(rules);
  return [
    ...unsupported,
    ...[...needed].filter((a) => !attributes.has(a)).map((a) => `missing: ${a}`),
    ...[...attributes].filter((a) => !needed.has(a)).map((a) => `not needed: ${a}`),
  ].sort();
}
