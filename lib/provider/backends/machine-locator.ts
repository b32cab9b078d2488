// Where a machine's console lives is configured per backend as a template over the machine's
// namespace and name, or as a function of both. The caller has validated the names as
// DNS-1123, but a locator that builds a filesystem path must not rely on that: a '/' or '..'
// that slipped through would reach another machine's socket (or any file), so it is refused
// here again before any template or function sees the names.

/** Computes where the console of machine `namespace/machine` is. */
export type Locator<T> = (namespace: string, machine: string) => T;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Throws when `value` could change the shape of a path or address it is put into. */
function assertSafeSegment(what: string, value: string): void {
  if (value.length === 0 || value.includes('/') || value.includes('..') || value.includes('\0')) {
    throw new Error(`refusing unsafe ${what} ${JSON.stringify(value)} in a console location`);
  }
}

/**
 * A locator from a template with {namespace} and {machine} placeholders (`parse` turns the
 * expanded text into a location, throwing when it cannot) or from a function. A template is
 * tried once here, so a typo fails at startup instead of on the first session.
 */
export function machineLocator<T>(location: string | Locator<T>, parse: (expanded: string) => T): Locator<T> {
  if (typeof location === 'string') {
    for (const [, name] of location.matchAll(PLACEHOLDER)) {
      if (name !== 'namespace' && name !== 'machine') {
        throw new TypeError(`unknown placeholder {${name}} in console location ${JSON.stringify(location)}`);
      }
    }
    parse(expand(location, 'namespace', 'machine'));
  }
  return (namespace, machine) => {
    assertSafeSegment('namespace', namespace);
    assertSafeSegment('machine name', machine);
    return typeof location === 'string' ? parse(expand(location, namespace, machine)) : location(namespace, machine);
  };
}

function expand(template: string, namespace: string, machine: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => (name === 'namespace' ? namespace : machine));
}
