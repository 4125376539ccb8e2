import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, JsonObject } from '../../db/schema.js';
import { AppError, Conflict, UnprocessableError, ValidationError } from '../../errors.js';
import { mayHaveBeenProcessed } from '../../provider/errors.js';
import { createIdempotencyRepo } from './idempotency.repo.js';

/**
 * `Idempotency-Key` handling for requests that cost money (top-ups, orders). The key row is
 * reserved in `idempotency_keys` before 1NCE is called, so of two concurrent duplicates exactly
 * one reaches the provider; the finished response is stored and replayed for retries.
 *
 * - same key, same request, finished   -> the stored response again, 1NCE not called
 * - same key, same request, running    -> 409 `idempotency_in_progress` (retry later)
 * - same key, different request        -> 422 `idempotency_key_reused`
 * - failure that certainly did not reach 1NCE -> the key is released, so a retry may try again
 * - failure whose outcome is unknown   -> stored and replayed: never resent blindly
 */

export interface IdempotentRequest {
  /** Who and which route: keys are only compared within one scope. */
  scope: string;
  key: string;
  /** Everything that defines the request (path parameters and body). */
  fingerprint: unknown;
}

export interface IdempotentResult<T> {
  statusCode: number;
  body: T;
  /** True when this is a stored response being replayed. */
  replayed: boolean;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

// A type alias (not an interface) so it is assignable to the jsonb column's object type.
type StoredError = {
  error: { code: string; status: number; title: string; detail: string | null; extensions: Record<string, unknown> | null };
};

/** Validates the header value (printable ASCII, 1-255 characters); 400 naming the header otherwise. */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || !KEY_PATTERN.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1-255 printable ASCII characters', [
      { field: 'headers.idempotency-key', message: 'must be 1-255 printable ASCII characters without spaces' },
    ]);
  }
  return key;
}

/** A stable hash of a JSON value: object keys are sorted so property order does not matter. */
export function fingerprintHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, item]) => item !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, item]) => [k, canonical(item)]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

function replayError(stored: StoredError['error']): AppError {
  return new AppError(stored.code, stored.status, stored.title, {
    ...(stored.detail !== null && { detail: stored.detail }),
    extensions: { ...stored.extensions, replayed: true },
  });
}

/** Creates the key store over `idempotency_keys`. */
export function createIdempotency(db: Kysely<DB>) {
  const repo = createIdempotencyRepo(db);
  return {
    /**
     * Runs `execute` at most once per (scope, key). `execute` returns the status code and body
     * of a success; a thrown error whose outcome is unknown is stored and replayed as well.
     */
    async run<T>(request: IdempotentRequest, execute: () => Promise<{ statusCode: number; body: T }>): Promise<IdempotentResult<T>> {
      const requestHash = fingerprintHash(request.fingerprint);
      if (!(await repo.reserve(request.scope, request.key, requestHash))) {
        const existing = await repo.find(request.scope, request.key);
        if (existing.request_hash !== requestHash) {
          throw new UnprocessableError(
            'This Idempotency-Key was already used for a different request; use a new key for a new request',
            [{ field: 'headers.idempotency-key', message: 'was used with a different request' }],
            'idempotency_key_reused',
          );
        }
        if (existing.status_code === null) {
          throw new Conflict('A request with this Idempotency-Key is still being processed; retry later', 'idempotency_in_progress');
        }
        const stored = existing.response as T | StoredError | null;
        if (stored !== null && typeof stored === 'object' && 'error' in stored) throw replayError((stored).error);
        return { statusCode: existing.status_code, body: stored as T, replayed: true };
      }

      const finish = (statusCode: number, response: JsonObject) => repo.finish(request.scope, request.key, statusCode, response);

      try {
        const result = await execute();
        await finish(result.statusCode, result.body as JsonObject);
        return { ...result, replayed: false };
      } catch (error) {
        if (error instanceof AppError && mayHaveBeenProcessed(error)) {
          const stored: StoredError = {
            error: { code: error.code, status: error.status, title: error.title, detail: error.detail ?? null, extensions: error.extensions ?? null },
          };
          await finish(error.status, stored);
        } else {
          // Nothing reached 1NCE (or it refused): release the key so the same request may be retried.
          await repo.release(request.scope, request.key);
        }
        throw error;
      }
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
