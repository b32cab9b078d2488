// Which machine the page opens. Namespace and name live in the URL hash (#/default/m1) so a
// link can name a machine; the token never goes into the URL. The dev stack's link adds a
// one-time login code after the target (#/default/m1?login=CODE), which the page trades for the
// token and then drops from the address bar.

export interface ConsoleTarget {
  namespace: string;
  machine: string;
}

/** The target a hash names; a part that is missing or malformed comes back empty. */
export function targetFromHash(hash: string): ConsoleTarget {
  const [namespace = '', machine = ''] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/').map(decodePart);
  return { namespace, machine };
}

/** The one-time login code a dev stack link carries, if any. */
export function loginCodeFromHash(hash: string): string | undefined {
  const query = hash.split('?')[1];
  return query === undefined ? undefined : new URLSearchParams(query).get('login') || undefined;
}

export function hashFor(target: ConsoleTarget): string {
  return `#/${encodeURIComponent(target.namespace)}/${encodeURIComponent(target.machine)}`;
}

/**
 * The path prefix the gateway's routes were mounted under (Gateway.mountPage): what comes before
 * `/console/` in the page's own path, so the page finds the exec endpoint mounted beside it.
 */
export function gatewayPrefix(pagePath: string): string {
  const at = pagePath.lastIndexOf('/console/');
  return at < 0 ? '' : pagePath.slice(0, at);
}

/** The gateway's exec endpoint on the host (and under the prefix) that served the page (wire contract 1). */
export function pageExecUrl(page: { protocol: string; host: string; pathname?: string }, target: ConsoleTarget): string {
  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  const path = `${gatewayPrefix(page.pathname ?? '')}/apis/compute.ironcore.dev/v1alpha1/namespaces/${encodeURIComponent(target.namespace)}/machines/${encodeURIComponent(target.machine)}/exec`;
  // announceOffset: the gateway says where the output starts, so a reconnection can resume there.
  // announceRole: it says whether this page is the writer, for the badge and the Take over button.
  return `${scheme}//${page.host}${path}?stdin=true&tty=true&announceOffset=true&announceRole=true`;
}

/** The gateway's machine list for the picker (lib/gateway/machine-list.ts), on the page's host under `prefix`. */
export function machineListUrl(namespace: string, prefix = ''): string {
  return `${prefix}/apis/console.ironcore.dev/v1/namespaces/${encodeURIComponent(namespace)}/machines`;
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return '';
  }
}
