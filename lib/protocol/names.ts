// Kubernetes object name validation. Names are checked before they go into any URL, so a
// path segment like `..`, `%2F` or an upper-case name is refused rather than passed on.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An error message when `value` is not a DNS-1123 label (namespaces), else undefined. */
export function invalidLabel(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(value)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** An error message when `value` is not a DNS-1123 subdomain (object names), else undefined. */
export function invalidSubdomain(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}
