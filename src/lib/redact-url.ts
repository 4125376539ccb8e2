/**
 * Credentials that clients put in URLs despite being told not to: `?access_token=`, `?api_key=`,
 * `https://user:password@host`. Every URL that reaches a log line goes through `redactUrl`, and the
 * API refuses such query parameters outright (http/auth/query-credentials.ts).
 */

/** Query parameter names that carry a credential (exact names, and any name containing these words). */
const CREDENTIAL_NAME = /token|secret|passw|pwd|api[-_]?key|^key$|^auth|^jwt$|^session|^sig(nature)?$|credential|client_assertion/i;

const CENSOR = '[redacted]';

/** Whether a query parameter name carries a credential. */
export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * The URL with the values of credential-looking query parameters and any userinfo password replaced
 * by `[redacted]`. Works on absolute URLs and on request targets (`/path?query`); everything else is
 * kept byte for byte, so the line still shows which route and which filters were used.
 */
export function redactUrl(url: string): string {
  // https://user:password@host/... -> https://user:[redacted]@host/...
  let result = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*?):([^/?#@]*)@/i, `$1$2:${CENSOR}@`);
  const queryStart = result.indexOf('?');
  if (queryStart < 0) return result;
  const hashStart = result.indexOf('#', queryStart);
  const query = result.slice(queryStart + 1, hashStart < 0 ? undefined : hashStart);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return isCredentialParam(decodeName(name)) ? `${name}=${CENSOR}` : pair;
    })
    .join('&');
  result = result.slice(0, queryStart + 1) + redacted + (hashStart < 0 ? '' : result.slice(hashStart));
  return result;
}

/** The names of credential-looking parameters in a parsed query object (for refusing the request). */
export function credentialParams(query: unknown): string[] {
  if (query === null || typeof query !== 'object') return [];
  return Object.keys(query).filter(isCredentialParam);
}
