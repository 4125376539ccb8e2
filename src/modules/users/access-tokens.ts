import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { Unauthorized } from '../../errors.js';

/** `iss` and `aud` of every access token; tokens from another issuer or for another audience are refused. */
export const TOKEN_ISSUER = 'simfleet';
export const TOKEN_AUDIENCE = 'simfleet-api';
/** Only HS256 is accepted; `none`, RS*, ES* and every other `alg` fail verification. */
const ALGORITHM = 'HS256';
/** Tolerated clock difference between replicas when checking exp/iat. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** What a verified access token says. */
export interface AccessClaims {
  userId: number;
  /** Issue time in seconds since the epoch (compared with the user's password change). */
  issuedAt: number;
}

/** Signs and verifies short-lived HS256 access JWTs. */
export interface AccessTokens {
  readonly ttlSeconds: number;
  sign(userId: number): Promise<string>;
  /** Throws 401 `invalid_token` or `token_expired`. */
  verify(token: string): Promise<AccessClaims>;
}

/**
 * Creates the signer for `secret` (at least 32 characters, enforced by config) and a TTL in minutes.
 * `now` (ms) gives issue and expiry times and the time tokens are verified at.
 */
export function createAccessTokens(secret: string, ttlMinutes: number, now: () => number = Date.now): AccessTokens {
  const key = new TextEncoder().encode(secret);
  const ttlSeconds = ttlMinutes * 60;
  return {
    ttlSeconds,
    sign(userId) {
      const issuedAt = Math.floor(now() / 1000);
      return new SignJWT({ typ: 'access' })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(now()),
        });
        const userId = Number(payload.sub);
        if (payload.typ !== 'access' || !Number.isSafeInteger(userId) || userId <= 0 || payload.iat === undefined) {
          throw new Unauthorized('The access token is not valid', 'invalid_token');
        }
        return { userId, issuedAt: payload.iat };
      } catch (error) {
        if (error instanceof Unauthorized) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new Unauthorized('The access token has expired', 'token_expired');
        throw new Unauthorized('The access token is not valid', 'invalid_token');
      }
    },
  };
}
