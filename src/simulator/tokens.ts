/**
 * OAuth token store. 1NCE caches tokens server-side: the same credential gets the same token
 * back with a smaller `expires_in` until it expires after 3600 s (reference §2.2). Expiry runs on
 * simulated time so tests can age a token with `advance`.
 */
import { randomBytes } from 'node:crypto';

export const TOKEN_LIFETIME_S = 3600;

interface Issued {
  token: string;
  customer: string;
  issuedMs: number;
}

/** Result of checking a bearer token. */
export type TokenCheck = { ok: true; customer: string } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

/** Creates an empty store; `nowMs` is the simulated clock. */
export function createTokenStore(nowMs: () => number) {
  const byCredential = new Map<string, Issued>();
  const byToken = new Map<string, Issued>();

  return {
    /** Returns the cached token for a credential (issuing one when none is valid) and its remaining lifetime. */
    issue(credential: string, customer: string): { token: string; expiresIn: number; fresh: boolean } {
      const now = nowMs();
      const existing = byCredential.get(credential);
      if (existing !== undefined) {
        const left = TOKEN_LIFETIME_S - Math.floor((now - existing.issuedMs) / 1000);
        if (left > 0) return { token: existing.token, expiresIn: left, fresh: false };
        byToken.delete(existing.token);
      }
      const issued: Issued = { token: opaqueToken(), customer, issuedMs: now };
      byCredential.set(credential, issued);
      byToken.set(issued.token, issued);
      return { token: issued.token, expiresIn: TOKEN_LIFETIME_S, fresh: true };
    },
    check(authorization: string | undefined): TokenCheck {
      const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
      if (match === null) return { ok: false, reason: 'missing' };
      const issued = byToken.get(match[1]!.trim());
      if (issued === undefined) return { ok: false, reason: 'invalid' };
      if (nowMs() - issued.issuedMs >= TOKEN_LIFETIME_S * 1000) return { ok: false, reason: 'expired' };
      return { ok: true, customer: issued.customer };
    },
    /** Forgets every issued token (fault injection, reset). */
    clear(): void {
      byCredential.clear();
      byToken.clear();
    },
  };
}

/** A ~3000-character opaque token shaped like 1NCE's: base64 of {"idtoken": <JWT>, "accesstoken": ...}. */
function opaqueToken(): string {
  const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
  const jwt = (bytes: number) =>
    `${b64url(JSON.stringify({ kid: randomBytes(8).toString('hex'), alg: 'RS256' }))}.${b64url(randomBytes(bytes))}.${b64url(randomBytes(256))}`;
  return Buffer.from(JSON.stringify({ idtoken: jwt(700), accesstoken: jwt(500) })).toString('base64');
}
