// The bearer token of an `Authorization` header, as kube-apiserver's bearertoken authenticator
// reads it: the scheme case-insensitive, one token, no other words.

/** The token of `Authorization: Bearer TOKEN`, or undefined when the header carries none. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}
