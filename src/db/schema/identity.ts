/** Row types of users, API keys, refresh tokens and the audit log. */
import type { Generated } from 'kysely';
import type { GeneratedTimestamp, Json, Timestamp } from './columns.js';

export type UserRole = 'admin' | 'operator' | 'viewer';

export type AuditActorType = 'user' | 'api_key' | 'system' | 'streamer' | 'anonymous';

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** Why an API key stopped working: revoked itself, with its parent, or by its owner's password change. */
export type ApiKeyRevokedReason = 'revoked' | 'parent_revoked' | 'password_changed' | 'password_reset';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string | null;
  password_hash: string;
  role: Generated<UserRole>;
  is_active: Generated<boolean>;
  last_login_at: Timestamp | null;
  password_changed_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  user_id: number;
  name: string;
  prefix: string;
  secret_hash: string;
  role_cap: UserRole | null;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** Why the key was revoked (migration 0015). */
  revoked_reason: Generated<ApiKeyRevokedReason | null>;
  /** The key this one was created with; null for keys created by a signed-in user (migration 0015). */
  parent_key_id: Generated<string | null>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: number;
  family_id: string;
  token_hash: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  replaced_by: string | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Append-only: the database rejects UPDATE, DELETE and TRUNCATE (SQLSTATE AUD01). */
export interface AuditLogTable {
  id: Generated<number>;
  occurred_at: GeneratedTimestamp;
  actor_type: AuditActorType;
  actor_user_id: number | null;
  actor_username: string | null;
  actor_api_key_id: string | null;
  actor_role: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: Json | null;
  after: Json | null;
  outcome: AuditOutcome;
  status_code: number | null;
  request_id: string | null;
  detail: Json | null;
  created_at: GeneratedTimestamp;
}
