// Which machine the page opens. Namespace and name live in the URL hash (#/default/m1) so a
// link can name a machine; the token never goes into the URL.

export interface ConsoleTarget {
  namespace: string;
  machine: string;
}

/** The target a hash names; a part that is missing or malformed comes back empty. */
export function targetFromHash(hash: string): ConsoleTarget {
  const [namespace = '', machine = ''] = hash.replace(/^#\/?/, '').split('/').map(decodePart);
  return { namespace, machine };
}

export function hashFor(target: ConsoleTarget): string {
  return `#/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.machine)}`;
}

/** The gateway's exec endpoint on the host that served the page (wire contract 1). */
export function execUrl(page: { protocol: string; host: string }, target: ConsoleTarget): string {
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  const path = `/apis/compute.ironcore.dev/v1alpha1/namespaces/${encodeURIComponent(target.namespace)}/machines/${encodeURIComponent(target.machine)}/exec`;
  // announceOffset: the gateway says where the output starts, so a reconnection can resume there.
  return `${scheme}//${page.host}${path}?stdin=true&tty=true&announceOffset=true`;
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return '';
  }
}
