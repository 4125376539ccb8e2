import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditActorType, AuditOutcome, DB, JsonObject } from '../../db/schema.js';
import { isoTime } from '../../lib/time.js';
import type { Principal } from '../users/principal.js';
import { toCsvRow, AUDIT_CSV_COLUMNS } from './audit.csv.js';
import { createAuditRepo, type AuditFilter, type AuditRow } from './audit.repo.js';
import type { PublicAuditEntry } from './audit.schemas.js';
import { pageReply } from '../../db/paging.js';

/** Who acted. */
export interface AuditActor {
  type: AuditActorType;
  userId?: number | null;
  username?: string | null;
  apiKeyId?: string | null;
  role?: string | null;
}

/** One audit entry. `record()` fills the time; secrets in before/after/detail are redacted. */
export interface AuditEntry {
  actor: AuditActor;
  /** Dotted verb, e.g. `user.role_change`, `sim.topup`, or `POST /api/v1/...` for plain requests. */
  action: string;
  target?: { type: string; id: string } | undefined;
  before?: JsonObject | undefined;
  after?: JsonObject | undefined;
  outcome: AuditOutcome;
  statusCode?: number | undefined;
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  detail?: JsonObject | undefined;
}

/** An audit entry as the API returns it (the type of its schema). */
export type { PublicAuditEntry } from './audit.schemas.js';

const SECRET_KEY = /pass(word)?|secret|token|api_?key|authorization|hash|cookie/i;
const TEXT_MAX = 512;
const EXPORT_BATCH = 1_000;

/** NUL, and UTF-16 surrogates without their pair. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text PostgreSQL can store: NUL is refused by `text` and `jsonb` alike, and jsonb refuses lone
 * surrogates. Hostile values (a label with `\u0000` that 1NCE already holds, an odd user agent) once
 * made the audit write fail, so the action happened unrecorded; they are replaced by U+FFFD instead.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** Copies a JSON value with every secret-looking member replaced, so no caller can leak one by accident; strings made storable. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [storableText(key), SECRET_KEY.test(key) ? '[redacted]' : redactSecrets(item, depth + 1)]),
    );
  }
  return value;
}

/** The audit actor for a resolved principal (or an anonymous caller). */
export function actorFromPrincipal(principal: Principal | undefined): AuditActor {
  if (principal === undefined) return { type: 'anonymous' };
  if (principal.kind === 'streamer') return { type: 'streamer', username: principal.username };
  if (principal.kind === 'api_key') {
    return { type: 'api_key', userId: principal.userId, username: principal.username, apiKeyId: principal.apiKeyId, role: principal.role };
  }
  return { type: 'user', userId: principal.userId, username: principal.username, role: principal.role };
}

function toPublic(row: AuditRow): PublicAuditEntry {
  return {
    id: row.id,
    occurred_at: isoTime(row.occurred_at),
    actor_type: row.actor_type,
    actor_user_id: row.actor_user_id,
    actor_username: row.actor_username,
    actor_api_key_id: row.actor_api_key_id,
    actor_role: row.actor_role,
    ip: row.ip,
    user_agent: row.user_agent,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    before: row.before,
    after: row.after,
    outcome: row.outcome,
    status_code: row.status_code,
    request_id: row.request_id,
    detail: row.detail,
  };
}

/** A bounded, storable text column value. */
const text = (value: string | null | undefined): string | null => (value === undefined || value === null ? null : storableText(value.slice(0, TEXT_MAX)));

const asJson = (value: JsonObject | undefined) => (value === undefined ? null : (redactSecrets(value) as JsonObject));

export interface AuditServiceDeps {
  db: Kysely<DB>;
  logger: Pick<Logger, 'error'>;
}

/** The append-only audit trail: record, query, export. */
export function createAuditService({ db, logger }: AuditServiceDeps) {
  const repo = createAuditRepo(db);
  return {
    /**
     * Appends one entry. Every mutating API request is recorded by the HTTP layer; services call this
     * for actions taken on someone's behalf (provider calls, jobs). Throws if the write fails: callers
     * that must not fail on audit errors use `recordSafely`.
     */
    async record(entry: AuditEntry): Promise<void> {
      await repo.insert({
        actor_type: entry.actor.type,
        actor_user_id: entry.actor.userId ?? null,
        actor_username: text(entry.actor.username),
        actor_api_key_id: entry.actor.apiKeyId ?? null,
        actor_role: text(entry.actor.role),
        ip: text(entry.ip),
        user_agent: text(entry.userAgent),
        action: text(entry.action) ?? '',
        target_type: text(entry.target?.type),
        target_id: text(entry.target?.id),
        before: asJson(entry.before),
        after: asJson(entry.after),
        outcome: entry.outcome,
        status_code: entry.statusCode ?? null,
        request_id: text(entry.requestId),
        detail: asJson(entry.detail),
      });
    },

    /** Like `record`, but logs a failed write instead of throwing (for after-the-fact request auditing). */
    async recordSafely(entry: AuditEntry): Promise<void> {
      try {
        await this.record(entry);
      } catch (error) {
        logger.error({ err: error, action: entry.action, request_id: entry.requestId }, 'audit entry could not be written');
      }
    },

    async list(filter: AuditFilter, page: number, pageSize: number) {
      const { items, total } = await repo.page(filter, page, pageSize);
      return pageReply(items.map(toPublic), total, page, pageSize);
    },

    /** CSV lines (header first), newest entry first, read in keyset batches. */
    async *exportCsv(filter: AuditFilter): AsyncGenerator<string> {
      yield `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
      let beforeId: number | undefined;
      for (;;) {
        const rows = await repo.batch(filter, beforeId, EXPORT_BATCH);
        if (rows.length === 0) return;
        yield rows.map((row) => toCsvRow(toPublic(row))).join('');
        beforeId = rows[rows.length - 1]!.id;
        if (rows.length < EXPORT_BATCH) return;
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
